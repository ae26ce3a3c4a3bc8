import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { apiKeyCommand, auditCommand } from '../../src/cli/security';
import { nimCommand } from '../../src/cli/nim';
import { openDatabase } from '../../src/store/database';
import { ApiKeys } from '../../src/security/api-keys';
import { AuditTrail, kodverkAction } from '../../src/security/audit-trail';
import { ANONYMOUS, CredentialError } from '../../src/security/identity';
import { SchemaValidator } from '../../src/terminology/resource-schema';

/** `kodverk apikey …` and `kodverk audit …` on a real SQLite file; the key store and the hash chain. */

let dir: string;
let dbPath: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-security-'));
  dbPath = path.join(dir, 'kodverk.db');
  openDatabase(dbPath).close();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs `kodverk <args>` and returns what it printed and the exit code it set. */
async function kodverk(...args: string[]): Promise<{ text: string; code: number }> {
  const lines: string[] = [];
  let code = 0;
  const options = { dbPath, out: (t: string) => lines.push(t), exitCode: (c: number) => (code = c) };
  const program = new Command('kodverk').exitOverride();
  program.addCommand(apiKeyCommand(options));
  program.addCommand(auditCommand(options));
  program.addCommand(nimCommand(options));
  await program.parseAsync(['node', 'kodverk', ...args]);
  return { text: lines.join('\n'), code };
}

function withDb<T>(fn: (db: Database.Database) => T): T {
  const db = openDatabase(dbPath);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

async function withDbAsync<T>(fn: (db: Database.Database) => Promise<T>): Promise<T> {
  const db = openDatabase(dbPath);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

describe('kodverk apikey', () => {
  it('prints a key once, stores only a slow hash, and the key identifies its name and role', async () => {
    const { text } = await kodverk('apikey', 'create', '--name', 'Socialstyrelsen', '--role', 'publisher');
    const key = text.split('\n')[0];
    expect(key).toMatch(/^kv_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const stored = withDb((db) => db.prepare('SELECT * FROM api_key').all() as any[]);
    expect(stored).toHaveLength(1);
    expect(stored[0].hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    // The secret is base64url and may itself hold '_': take all of it after the key id.
    const secret = key.slice('kv_'.length + 12 + 1);
    expect(secret).toHaveLength(43);
    expect(JSON.stringify(stored)).not.toContain(secret);
    const identity = await withDbAsync((db) => new ApiKeys(db).identify(key));
    expect(identity).toMatchObject({ source: 'api-key', name: 'Socialstyrelsen', roles: ['publisher'] });

    const list = (await kodverk('apikey', 'list')).text;
    expect(list).toContain('Socialstyrelsen');
    expect(list).toContain('publisher');
    expect(list).not.toContain(key);
  });

  it('refuses a wrong secret, a revoked and an expired key', async () => {
    const key = (await kodverk('apikey', 'create', '--name', 'Leverantör AB', '--role', 'author')).text.split('\n')[0];
    const wrong = key.slice(0, -4) + (key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    await expect(withDbAsync((db) => new ApiKeys(db).identify(wrong))).rejects.toBeInstanceOf(CredentialError);
    const id = key.split('_')[1];
    await kodverk('apikey', 'revoke', id);
    await expect(withDbAsync((db) => new ApiKeys(db).identify(key))).rejects.toThrow('revoked');

    const soon = await withDbAsync((db) => new ApiKeys(db).create({ name: 'Kortlivad', role: 'reader', expires: '2099-01-01' }));
    await expect(withDbAsync((db) => new ApiKeys(db).identify(soon.key, new Date('2099-01-02T00:00:00Z')))).rejects.toThrow('expired');
    await expect(withDbAsync((db) => new ApiKeys(db).identify(soon.key, new Date('2098-12-31T00:00:00Z')))).resolves.toMatchObject({ roles: ['reader'] });
  });

  it('refuses an unknown role, a missing name and an expiry in the past; nothing is stored', async () => {
    await expect(kodverk('apikey', 'create', '--name', 'X', '--role', 'superuser')).rejects.toThrow('role');
    await expect(kodverk('apikey', 'create', '--name', ' ', '--role', 'admin')).rejects.toThrow('name');
    await expect(kodverk('apikey', 'create', '--name', 'X', '--role', 'admin', '--expires', '2001-01-01')).rejects.toThrow('past');
    expect(withDb((db) => (db.prepare('SELECT count(*) AS n FROM api_key').get() as any).n)).toBe(0);
  });

  it('records creation and revocation (and refusals) as operator actions in the audit trail', async () => {
    const key = (await kodverk('apikey', 'create', '--name', 'Kommun', '--role', 'reader')).text.split('\n')[0];
    await kodverk('apikey', 'revoke', 'Kommun');
    await expect(kodverk('apikey', 'revoke', 'Kommun')).rejects.toThrow('already revoked');
    const events = withDb((db) => new AuditTrail(db).search({}, { count: 10, offset: 0 }).events.reverse());
    expect(events.map((e) => [e.subtype?.[0].code, e.outcome, e.type.code])).toEqual([
      ['api-key-create', '0', 'operator'],
      ['api-key-revoke', '0', 'operator'],
      ['api-key-revoke', '8', 'operator'],
    ]);
    expect(events[0].entity?.[0].what?.identifier?.value).toBe(key.split('_')[1]);
    expect(events[0].agent[0].who?.display).toContain('operator');
    expect(JSON.stringify(events)).not.toContain(key);
  });
});

describe('the audit trail', () => {
  const record = (trail: AuditTrail, i: number) =>
    trail.record({ via: 'rest', subtype: kodverkAction('release-status'), action: 'U', outcome: i % 3 ? '0' : '4', agent: ANONYMOUS, address: '127.0.0.1', entity: { identifier: { system: 'https://kodverk.se/fhir/sid/nim-release', value: `1.${i}.0` } } });

  it('writes valid FHIR R4 AuditEvents, hash-chained, and verifies them', async () => {
    const events = withDb((db) => Array.from({ length: 5 }, (_, i) => record(new AuditTrail(db), i)));
    const schema = new SchemaValidator();
    for (const e of events) expect(() => schema.check(e)).not.toThrow();
    expect(events.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5']);
    const { text, code } = await kodverk('audit', 'verify');
    expect(code).toBe(0);
    expect(text).toMatch(/^5 records, chain intact/);
  });

  it('refuses UPDATE and DELETE of a record (append-only)', () => {
    withDb((db) => {
      record(new AuditTrail(db), 1);
      expect(() => db.prepare("UPDATE audit_event SET outcome = '0'").run()).toThrow('append-only');
      expect(() => db.prepare('DELETE FROM audit_event').run()).toThrow('append-only');
    });
  });

  /** Someone with the file drops the guards and changes history directly in SQLite. */
  const tamper = (sql: string) => {
    const db = new Database(dbPath);
    db.exec('DROP TRIGGER audit_event_no_update; DROP TRIGGER audit_event_no_delete;');
    db.exec(sql);
    db.close();
  };

  it.each([
    ['a record whose outcome was changed', "UPDATE audit_event SET json = replace(json, '\"outcome\":\"4\"', '\"outcome\":\"0\"'), outcome = '0' WHERE seq = 4", 4, 'content does not match'],
    ['a record changed in its search column only', "UPDATE audit_event SET agent = 'someone-else' WHERE seq = 2", 2, 'agent column'],
    ['a removed record', 'DELETE FROM audit_event WHERE seq = 4', 5, 'record 4 is missing'],
    ['a record whose entity was changed', "UPDATE audit_event SET json = replace(json, '1.2.0', '9.9.9') WHERE seq = 3", 3, 'content does not match'],
  ])('`kodverk audit verify` names the first broken link: %s', async (_what, sql, seq, reason) => {
    withDb((db) => Array.from({ length: 6 }, (_, i) => record(new AuditTrail(db), i)));
    tamper(sql as string);
    const { text, code } = await kodverk('audit', 'verify');
    expect(code).toBe(2);
    expect(text).toContain(`BROKEN at record ${seq}`);
    expect(text).toContain(reason as string);
    expect(text).toContain('append-only are missing');
  });

  it('detects a record re-hashed by someone who knows the scheme, at the record after it', async () => {
    withDb((db) => Array.from({ length: 4 }, (_, i) => record(new AuditTrail(db), i)));
    const db = new Database(dbPath);
    db.exec('DROP TRIGGER audit_event_no_update');
    const row = db.prepare('SELECT * FROM audit_event WHERE seq = 2').get() as any;
    const json = row.json.replace('"outcome":"0"', '"outcome":"4"');
    const { chainHash } = await import('../../src/store/audit-store');
    db.prepare("UPDATE audit_event SET json = ?, outcome = '4', hash = ? WHERE seq = 2").run(json, chainHash(2, row.prev_hash, json));
    db.close();
    const { text } = await kodverk('audit', 'verify');
    expect(text).toContain('BROKEN at record 3: its previous-record hash');
  });

  it('`kodverk audit export --since` writes NDJSON AuditEvents from that date, with their chain hashes', async () => {
    withDb((db) => {
      const trail = new AuditTrail(db);
      trail.record({ via: 'rest', subtype: kodverkAction('release-create'), action: 'C', outcome: '0', agent: ANONYMOUS, recorded: new Date('2026-01-10T10:00:00Z') });
      trail.record({ via: 'rest', subtype: kodverkAction('release-update'), action: 'U', outcome: '0', agent: ANONYMOUS, recorded: new Date('2026-02-10T10:00:00Z') });
    });
    const out = path.join(dir, 'audit.ndjson');
    await kodverk('audit', 'export', '--since', '2026-02-01', '--out', out);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ resourceType: 'AuditEvent', id: '2', subtype: [{ code: 'release-update' }] });
    expect(lines[0].extension.map((x: any) => x.url)).toEqual(['https://kodverk.se/fhir/StructureDefinition/audit-chain-hash', 'https://kodverk.se/fhir/StructureDefinition/audit-chain-previous']);
    expect((await kodverk('audit', 'export', '--since', '2026-01-01')).text.split('\n')).toHaveLength(2);
  });
});
