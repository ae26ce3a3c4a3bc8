import { createHash } from 'node:crypto';
import type { Db } from './database';

/** The searchable columns of one audit record (each repeats what its AuditEvent says). */
export interface AuditColumns {
  recorded: string;
  /** `system|code` of AuditEvent.type */
  type: string;
  /** `system|code` of the first AuditEvent.subtype */
  subtype: string;
  action: string;
  outcome: string;
  /** the agent's identifier value (key id, token subject, operator) */
  agent: string;
  /** the agent's display (key name, 'anonymous', …) */
  agentName: string;
  /** what was changed: `CodeSystem/abc`, `release/1.2.0`, `api-key/…` */
  entity?: string;
}

export interface AuditRow extends AuditColumns {
  seq: number;
  json: string;
  prevHash: string;
  hash: string;
}

/** What an audit search narrows by; every field is optional. */
export interface AuditQuery {
  /** recorded at or after (ISO instant) */
  from?: string;
  /** recorded before (ISO instant) */
  to?: string;
  /** identifier value or display of the agent */
  agent?: string;
  entity?: string;
  /** `code` or `system|code` */
  type?: string;
  subtype?: string;
  action?: string;
  outcome?: string;
}

/** The previous hash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** A record's hash: over its position, the hash before it and its content. */
export function chainHash(seq: number, prevHash: string, json: string): string {
  return createHash('sha256').update(`${seq}\n${prevHash}\n${json}`).digest('hex');
}

/** The columns as AuditRow names them. */
const COLUMNS = 'seq, recorded, type, subtype, action, outcome, agent, agent_name AS agentName, entity, json, prev_hash AS prevHash, hash';

/** SQLite gives NULL for an absent entity; the row type says undefined. */
const fromRow = (r: AuditRow & { entity: string | null }): AuditRow => ({ ...r, entity: r.entity ?? undefined });
type Row = AuditRow & { entity: string | null };

/** A token column matched by `code` alone or by `system|code`. */
const TOKEN = (column: string) => `(${column} = @v OR substr(${column}, instr(${column}, '|') + 1) = @v)`;

/** Every SQL statement about audit_event. The table is append-only (triggers refuse the rest). */
export class AuditStore {
  constructor(private readonly db: Db) {}

  /**
   * Appends one record after the last one, in an immediate transaction so that two writers (the
   * server and the CLI on the same file) never chain onto the same predecessor. `make` gets the
   * record's sequence number (the AuditEvent's id) and returns its JSON.
   */
  append(columns: AuditColumns, make: (seq: number) => string): AuditRow {
    const insert = this.db.transaction((): AuditRow => {
      const last = this.db.prepare('SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
      const seq = (last?.seq ?? 0) + 1;
      const prevHash = last?.hash ?? GENESIS_HASH;
      const json = make(seq);
      const hash = chainHash(seq, prevHash, json);
      this.db
        .prepare(
          `INSERT INTO audit_event (seq, recorded, type, subtype, action, outcome, agent, agent_name, entity, json, prev_hash, hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(seq, columns.recorded, columns.type, columns.subtype, columns.action, columns.outcome, columns.agent, columns.agentName, columns.entity ?? null, json, prevHash, hash);
      return { ...columns, seq, json, prevHash, hash };
    });
    return insert.immediate();
  }

  get(seq: number): AuditRow | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM audit_event WHERE seq = ?`).get(seq) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  private where(q: AuditQuery): { sql: string; params: Record<string, string>[] } {
    const clauses: string[] = [];
    const params: Record<string, string>[] = [];
    const add = (sql: string, v: string | undefined) => {
      if (v === undefined) return;
      // each clause binds its own @v
      clauses.push(sql.replace(/@v/g, `@v${params.length}`));
      params.push({ [`v${params.length}`]: v });
    };
    add('recorded >= @v', q.from);
    add('recorded < @v', q.to);
    add('(agent = @v OR agent_name = @v)', q.agent);
    add('entity = @v', q.entity);
    add(TOKEN('type'), q.type);
    add(TOKEN('subtype'), q.subtype);
    add('action = @v', q.action);
    add('outcome = @v', q.outcome);
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  /** Matching records, newest first. */
  search(q: AuditQuery, page: { count: number; offset: number }): AuditRow[] {
    const { sql, params } = this.where(q);
    const bound = Object.assign({}, ...params, { count: page.count, offset: page.offset });
    return (this.db.prepare(`SELECT ${COLUMNS} FROM audit_event ${sql} ORDER BY seq DESC LIMIT @count OFFSET @offset`).all(bound) as Row[]).map(fromRow);
  }

  count(q: AuditQuery): number {
    const { sql, params } = this.where(q);
    return (this.db.prepare(`SELECT count(*) AS n FROM audit_event ${sql}`).get(Object.assign({}, ...params)) as { n: number }).n;
  }

  /** Every record in order (for verifying the chain), read as a stream. */
  *all(): IterableIterator<AuditRow> {
    for (const row of this.db.prepare(`SELECT ${COLUMNS} FROM audit_event ORDER BY seq`).iterate() as IterableIterator<Row>) yield fromRow(row);
  }

  /** Records at or after an instant, oldest first (for export). */
  *since(from: string): IterableIterator<AuditRow> {
    for (const row of this.db.prepare(`SELECT ${COLUMNS} FROM audit_event WHERE recorded >= ? ORDER BY seq`).iterate(from) as IterableIterator<Row>) yield fromRow(row);
  }

  /** Whether the triggers that keep the table append-only are in place. */
  appendOnlyGuards(): string[] {
    return (this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  }
}
