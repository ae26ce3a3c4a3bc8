import { LanguagePreference, LanguageMatch, matchLanguage, sctLanguageRefset, sctLanguageTag } from '../../src/terminology/languages';
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
    // private use and extensions name no region: en-x-sctlang-… is English, not English of a region "04"
    expect(matchLanguage('en-x-sctlang-90000000-00005080-04', 'en-GB')).toBe(LanguageMatch.Lang);
    expect(matchLanguage('en-x-sctlang-90000000-00005080-04', 'en')).toBe(LanguageMatch.LangRegion);
  });
});

describe('Snomed CT language reference sets as private-use tags (x-sctlang)', () => {
  it('reads the refset id out of the tag, its groups of up to 8 digits joined, and writes it so', () => {
    expect(sctLanguageRefset('en-x-sctlang-90000000-00005090-07')).toBe('900000000000509007');
    expect(sctLanguageRefset('EN-X-SCTLANG-90000000-00005090-07')).toBe('900000000000509007');
    expect(sctLanguageRefset('en-GB')).toBeUndefined();
    expect(sctLanguageRefset('en-x-other-1234')).toBeUndefined();
    expect(sctLanguageTag('en', '900000000000509007')).toBe('en-x-sctlang-90000000-00005090-07');
    expect(sctLanguageTag('sv', '46011000052107')).toBe('sv-x-sctlang-46011000-052107');
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
