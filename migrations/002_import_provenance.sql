-- Provenance of imports: which file (by name and sha256) was imported when, by which importer,
-- with which publisher version, and what it changed.
CREATE TABLE import_run (
  pk                INTEGER PRIMARY KEY,
  format            TEXT NOT NULL,
  file_name         TEXT NOT NULL,
  sha256            TEXT NOT NULL,
  publisher_version TEXT,
  imported_at       TEXT NOT NULL,
  -- JSON: resources created/updated/unchanged, concepts written, time taken
  summary           TEXT NOT NULL
);
CREATE INDEX import_run_by_hash ON import_run (format, sha256);

-- The resources an import produced (provenance of each stored resource).
CREATE TABLE import_resource (
  import_pk   INTEGER NOT NULL REFERENCES import_run (pk) ON DELETE CASCADE,
  resource_pk INTEGER NOT NULL REFERENCES resource (pk) ON DELETE CASCADE,
  PRIMARY KEY (import_pk, resource_pk)
) WITHOUT ROWID;
CREATE INDEX import_resource_by_resource ON import_resource (resource_pk);

-- The source a stored code system's concept rows were written from (sha256 of the file(s)), so a
-- re-import of the same release does not rewrite hundreds of thousands of rows.
ALTER TABLE resource ADD COLUMN concepts_source TEXT;
