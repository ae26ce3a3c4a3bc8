import { LanguagePreference, LanguageMatch, matchLanguage } from '../../src/terminology/languages';
import { DesignationSet } from '../../src/terminology/designations';
import { TerminologyError } from '../../src/terminology/issues';

describe('language preferences', () => {
  it('parses weights and sorts by them', () => {
    const p = LanguagePreference.parse('en;q=0.5, sv', false);
    expect(p.entries.map((e) => e.tag)).toEqual(['sv', 'en']);
  });

  it('adds a soft wildcard for expansions only', () => {
    expect(LanguagePreference.parse('sv', true).entries.some((e) => e.tag === '*' && e.implicit)).toBe(true);
    expect(LanguagePreference.parse('sv', false).entries.some((e) => e.tag === '*')).toBe(false);
  });

  it('rejects a malformed tag', () => {
    expect(() => LanguagePreference.parse('-', false)).toThrow(TerminologyError);
  });

  it('matches regional forms of a language', () => {
    expect(matchLanguage('sv', 'sv-SE')).toBe(LanguageMatch.Lang);
    expect(matchLanguage('sv-SE', 'sv-SE')).toBe(LanguageMatch.Full);
    expect(matchLanguage('sv', 'de')).toBe(LanguageMatch.None);
  });
});

describe('choosing displays', () => {
  const set = new DesignationSet();
  set.addDisplay('Home care', 'en');
  set.addDesignation({ language: 'sv', value: 'Hemtjänst' });

  it('uses the display when no language is asked for', () => {
    expect(set.preferred(undefined)?.value).toBe('Home care');
  });

  it('uses the Swedish term when Swedish is asked for', () => {
    expect(set.preferred(LanguagePreference.parse('sv', true))?.value).toBe('Hemtjänst');
  });

  it('falls back to the display softly, not when the client says *;q=0', () => {
    expect(set.preferred(LanguagePreference.parse('fi', true))?.value).toBe('Home care');
    expect(set.preferred(LanguagePreference.parse('fi, *;q=0', true))).toBeUndefined();
  });

  it('checks displays case-insensitively and notices whitespace differences', () => {
    expect(set.hasDisplay(undefined, undefined, 'home care', false).found).toBe(true);
    expect(set.hasDisplay(undefined, undefined, 'Home  care', false)).toEqual({ found: false, difference: 'normalized' });
  });
});
