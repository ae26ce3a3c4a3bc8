-- Identities and the audit trail.

-- API keys for installations without an identity provider. A key is shown once, when it is
-- created: `kv_<key_id>_<secret>`. Only key_id (to find the row) and a slow scrypt hash of the
-- whole key are stored. A revoked key keeps its row (the audit trail names it).
CREATE TABLE api_key (
  pk          INTEGER PRIMARY KEY,
  key_id      TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  role        TEXT NOT NULL CHECK (role IN ('reader', 'author', 'publisher', 'admin')),
  -- scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>
  hash        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  expires_at  TEXT,
  revoked_at  TEXT
);

-- The audit trail: one FHIR R4 AuditEvent per write (accepted or refused), append-only. Each row
-- carries the hash of the one before it (prev_hash) and its own hash over seq, prev_hash and json,
-- so a row changed, removed or inserted afterwards breaks the chain (`kodverk audit verify`).
-- The other columns repeat what json says, for search.
CREATE TABLE audit_event (
  seq         INTEGER PRIMARY KEY,
  recorded    TEXT NOT NULL,
  type        TEXT NOT NULL,
  subtype     TEXT NOT NULL,
  action      TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  agent       TEXT NOT NULL,
  agent_name  TEXT NOT NULL,
  entity      TEXT,
  json        TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
);
CREATE INDEX audit_event_by_recorded ON audit_event (recorded);

-- append-only: the application never changes or removes a row, and refuses to be made to
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN
  SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN
  SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
