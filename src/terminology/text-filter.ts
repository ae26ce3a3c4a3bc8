/**
 * The free-text `filter` of $expand. Text is lower-cased and split into words (letters and
 * digits of any script, so å, ä and ö stay letters of their own); a text passes when every word
 * of the filter is the start of some word in it ("bedöm lär" finds "Bedömning av lärande").
 */
export class TextFilter {
  readonly words: string[];

  constructor(readonly text: string) {
    this.words = TextFilter.split(text);
  }

  get isEmpty(): boolean {
    return this.words.length === 0;
  }

  static split(text: string): string[] {
    return text.toLocaleLowerCase('sv').match(/[\p{L}\p{N}]+/gu) ?? [];
  }

  /** Does any of these texts (display, designations, code) match the filter? */
  passes(texts: (string | undefined)[]): boolean {
    const words = texts.flatMap((t) => (t ? TextFilter.split(t) : []));
    return this.words.every((w) => words.some((x) => x.startsWith(w)));
  }
}
