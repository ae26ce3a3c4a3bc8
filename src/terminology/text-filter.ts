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
    return text.normalize('NFC').toLocaleLowerCase('sv').match(/[\p{L}\p{N}]+/gu) ?? [];
  }

  /**
   * How well a matching concept matches, for ranking: 0 when its code is the filter text (ASCII
   * letters in any case), 1 when its display is exactly the filter's words (in any case, whatever
   * the punctuation), else 2.
   */
  rank(code: string | undefined, display: string | undefined): number {
    const text = this.text.trim();
    if (code !== undefined && (code === text || asciiLower(code) === asciiLower(text))) return 0;
    return display !== undefined && TextFilter.split(display).join(' ') === this.words.join(' ') ? 1 : 2;
  }

  /** Does any of these texts (display, designations, code) match the filter? */
  passes(texts: (string | undefined)[]): boolean {
    const words = texts.flatMap((t) => (t ? TextFilter.split(t) : []));
    return this.words.every((w) => words.some((x) => x.startsWith(w)));
  }
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}
