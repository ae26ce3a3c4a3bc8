import { TextFilter } from '../../src/terminology/text-filter';

describe('expansion text filter', () => {
  it('needs every word to start a word of the text', () => {
    const f = new TextFilter('bedömning lär');
    expect(f.passes(['Bedömning av lärande'])).toBe(true);
    expect(f.passes(['Bedömning av hälsa'])).toBe(false);
  });

  it('keeps å, ä and ö distinct from a and o', () => {
    expect(new TextFilter('hals').passes(['Hälsa'])).toBe(false);
    expect(new TextFilter('häls').passes(['Hälsa'])).toBe(true);
    expect(new TextFilter('öga').passes(['Oga'])).toBe(false);
  });
});
