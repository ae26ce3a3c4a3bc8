import { compareVersions, latestVersion, versionMatches, versionIsMoreDetailed, splitCanonical } from '../../src/terminology/versions';

describe('version ordering', () => {
  it('compares numeric parts as numbers', () => {
    expect(compareVersions('1.10.0', '1.9.2')).toBeGreaterThan(0);
    expect(compareVersions('20250909', '20240716')).toBeGreaterThan(0);
    expect(compareVersions('2.0.0', '2.0.0-beta')).toBeGreaterThan(0);
    expect(compareVersions('1.0', '1.0.0')).toBeLessThan(0);
  });

  it('picks the latest', () => {
    expect(latestVersion(['1.0.0', '1.2.0', '1.10.0', '1.9.9'])).toBe('1.10.0');
  });

  it('matches wildcards but not bare prefixes', () => {
    expect(versionMatches('1.0.x', '1.0.7')).toBe(true);
    expect(versionMatches('1.x.x', '1.2.0')).toBe(true);
    expect(versionMatches('1.0.x', '1.1.0')).toBe(false);
    expect(versionIsMoreDetailed('1.x', '1.2')).toBe(true);
    expect(versionIsMoreDetailed('1', '1.0.0')).toBe(false);
  });

  it('splits canonicals', () => {
    expect(splitCanonical('http://x/cs|2.0')).toEqual({ url: 'http://x/cs', version: '2.0' });
    expect(splitCanonical('http://x/cs')).toEqual({ url: 'http://x/cs' });
  });
});
