import fs from 'node:fs';
import { once } from 'node:events';
import { Command } from 'commander';
import { loadConfig } from '../config';
import { Db, openDatabase } from '../store/database';
import { API_KEY_SYSTEM, ApiKeyInfo, ApiKeys, expiryInstant } from '../security/api-keys';
import { AuditTrail, kodverkAction } from '../security/audit-trail';
import { ROLES } from '../security/identity';
import { asOperator } from './operator-audit';

/**
 * `kodverk apikey …` and `kodverk audit …` on the store named by KODVERK_DB. Creating and revoking
 * keys here are operator actions and are recorded as such in the audit trail.
 */

export interface SecurityCliOptions {
  /** SQLite file (default: KODVERK_DB) */
  dbPath?: string;
  /** where answers are written (default: stdout) */
  out?: (text: string) => void;
  /** sets the exit code (default: process.exitCode) */
  exitCode?: (code: number) => void;
}

async function withDb<T>(options: SecurityCliOptions, fn: (db: Db) => T | Promise<T>): Promise<T> {
  const db = openDatabase(options.dbPath ?? loadConfig().dbPath);
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

const keyEntity = (k: ApiKeyInfo | undefined, fallback: string) => ({ identifier: { system: API_KEY_SYSTEM, value: k?.id ?? fallback }, display: k?.name });

function describeKey(k: ApiKeyInfo): string {
  return [k.id.padEnd(13), k.role.padEnd(10), k.state.padEnd(8), k.created.slice(0, 10), (k.expires ? `expires ${k.expires.slice(0, 10)}` : 'no expiry').padEnd(18), k.name].join(' ');
}

export function apiKeyCommand(options: SecurityCliOptions = {}): Command {
  const out = options.out ?? ((t: string) => console.log(t));
  const cmd = new Command('apikey').description('API keys for clients when there is no identity provider (the key is shown once; only a slow hash is kept)');

  cmd
    .command('create')
    .description('create a key and print it once')
    .requiredOption('--name <name>', 'who uses it: an organisation or system, never a person')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--expires <date>', 'last day (YYYY-MM-DD) or instant the key is valid')
    .action((o: { name: string; role: string; expires?: string }) =>
      withDb(options, async (db) => {
        const created = await asOperator(db, { subtype: kodverkAction('api-key-create'), action: 'C', entity: (r) => (r ? keyEntity(r.info, '') : undefined) }, () => new ApiKeys(db).create(o));
        out(created.key);
        out(`# ${describeKey(created.info)}`);
        out('# Store the key now: it is not shown again. Clients send it as "Authorization: Bearer <key>".');
      }),
    );

  cmd
    .command('list')
    .description('list keys (id, role, state, created, expiry, name); never the keys themselves')
    .action(() =>
      withDb(options, (db) => {
        const keys = new ApiKeys(db).list();
        if (keys.length === 0) out('no API keys');
        for (const k of keys) out(describeKey(k));
      }),
    );

  cmd
    .command('revoke')
    .description('revoke a key (by id, or by name when one live key has it); it stops working at once')
    .argument('<id-or-name>')
    .action((idOrName: string) =>
      withDb(options, async (db) => {
        const k = await asOperator(db, { subtype: kodverkAction('api-key-revoke'), action: 'D', entity: (r) => keyEntity(r, idOrName) }, () => new ApiKeys(db).revoke(idOrName));
        out(`revoked ${describeKey(k)}`);
      }),
    );
  return cmd;
}

export function auditCommand(options: SecurityCliOptions = {}): Command {
  const out = options.out ?? ((t: string) => console.log(t));
  const exitCode = options.exitCode ?? ((c: number) => (process.exitCode = c));
  const cmd = new Command('audit').description('the audit trail (AuditEvents of every write, hash-chained)');

  cmd
    .command('verify')
    .description('recompute the hash chain; names the first record that does not hold (exit code 2)')
    .action(() =>
      withDb(options, (db) => {
        const report = new AuditTrail(db).verify();
        if (report.firstBroken) {
          out(`BROKEN at record ${report.firstBroken.seq}: ${report.firstBroken.reason}`);
          out(`${report.records - 1} records before it hold.`);
          exitCode(2);
        } else {
          out(`${report.records} records, chain intact; last hash ${report.head}`);
        }
        if (report.guards.length < 2) {
          out('WARNING: the triggers that keep the audit table append-only are missing (someone altered the schema)');
          exitCode(2);
        }
      }),
    );

  cmd
    .command('export')
    .description('write AuditEvents recorded since a date as NDJSON (one FHIR AuditEvent a line, with its chain hashes)')
    .requiredOption('--since <date>', 'YYYY-MM-DD or an instant')
    .option('--out <file>', 'file to write (default: stdout)')
    .action((o: { since: string; out?: string }) =>
      withDb(options, async (db) => {
        const from = sinceInstant(o.since);
        const sink = o.out ? fs.createWriteStream(o.out) : undefined;
        let n = 0;
        for (const event of new AuditTrail(db).since(from)) {
          const line = JSON.stringify(event);
          if (sink) {
            if (!sink.write(line + '\n')) await once(sink, 'drain');
          } else out(line);
          n++;
        }
        if (sink) {
          sink.end();
          await once(sink, 'finish');
          out(`${n} AuditEvents written to ${o.out}`);
        }
      }),
    );
  return cmd;
}

/** The start of a day (UTC) or an instant, as an ISO instant. */
function sinceInstant(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00.000Z`;
  const end = expiryInstant(value);
  return end!;
}
