import { identifierAliases } from '../../src/terminology/identifier-aliases';

/** The rule by which an urn:oid: system names a canonical among resources sent with a request. */
describe('identifier aliases of request resources', () => {
  const cs = (url: string, identifier?: unknown) => ({ resourceType: 'CodeSystem', url, ...(identifier ? { identifier } : {}) });
  const ns = (kind: string, uniqueId: unknown[]) => ({ resourceType: 'NamingSystem', kind, uniqueId });

  it('takes the resources that carry the identifier first, in urn:oid: or bare form', () => {
    const sent = [ns('codesystem', [{ type: 'oid', value: '1.2.3' }, { type: 'uri', value: 'http://b' }]), cs('http://a', [{ value: 'urn:oid:1.2.3' }]), cs('http://c', [{ value: '1.2.3' }])];
    expect(identifierAliases(sent, 'urn:oid:1.2.3').map((a) => a.url)).toEqual(['http://a', 'http://c', 'http://b']);
  });

  it("reads a NamingSystem's uri unique ids, the preferred first, for kind codesystem only", () => {
    const sent = [ns('codesystem', [{ type: 'oid', value: 'urn:oid:1.2.4' }, { type: 'uri', value: 'http://x' }, { type: 'uri', value: 'http://y', preferred: true }]), ns('identifier', [{ type: 'oid', value: '1.2.4' }, { type: 'uri', value: 'http://z' }])];
    expect(identifierAliases(sent, 'urn:oid:1.2.4')).toEqual([
      { resourceType: 'CodeSystem', url: 'http://y' },
      { resourceType: 'CodeSystem', url: 'http://x' },
    ]);
  });

  it('names nothing for another OID, or an OID that only starts the same', () => {
    expect(identifierAliases([cs('http://a', [{ value: 'urn:oid:1.2.3' }])], 'urn:oid:1.2.3.4')).toEqual([]);
    expect(identifierAliases([cs('http://a', [{ value: 'urn:oid:1.2.3.4' }])], 'urn:oid:1.2.3')).toEqual([]);
  });
});
