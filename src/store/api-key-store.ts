import type { Db } from './database';

/** An API key as stored: never the key itself, only its id and a slow hash of it. */
export interface ApiKeyRow {
  keyId: string;
  name: string;
  role: string;
  hash: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

interface Row {
  key_id: string;
  name: string;
  role: string;
  hash: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

const fromRow = (r: Row): ApiKeyRow => ({
  keyId: r.key_id,
  name: r.name,
  role: r.role,
  hash: r.hash,
  createdAt: r.created_at,
  expiresAt: r.expires_at ?? undefined,
  revokedAt: r.revoked_at ?? undefined,
});

/** Every SQL statement about api_key. */
export class ApiKeyStore {
  constructor(private readonly db: Db) {}

  insert(k: Omit<ApiKeyRow, 'revokedAt'>): void {
    this.db
      .prepare('INSERT INTO api_key (key_id, name, role, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(k.keyId, k.name, k.role, k.hash, k.createdAt, k.expiresAt ?? null);
  }

  get(keyId: string): ApiKeyRow | undefined {
    const row = this.db.prepare('SELECT * FROM api_key WHERE key_id = ?').get(keyId) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Keys by name or id (names need not be unique), oldest first. */
  find(nameOrId: string): ApiKeyRow[] {
    return (this.db.prepare('SELECT * FROM api_key WHERE key_id = ? OR name = ? ORDER BY pk').all(nameOrId, nameOrId) as Row[]).map(fromRow);
  }

  list(): ApiKeyRow[] {
    return (this.db.prepare('SELECT * FROM api_key ORDER BY pk').all() as Row[]).map(fromRow);
  }

  /** Marks a key revoked; false when it was unknown or already revoked. */
  revoke(keyId: string, at: string): boolean {
    return this.db.prepare('UPDATE api_key SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL').run(at, keyId).changes > 0;
  }
}
