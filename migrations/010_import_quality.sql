-- The quality report of each import: what the publisher's release holds that an expert would
-- notice (inclusions naming codes of another inriktning or chapter, references to codes that do
-- not exist, duplicate titles, text changes against the previous version, ...). Reported, stored
-- with the import's provenance and shown on the concept and value set pages; the data itself is
-- imported as published.
CREATE TABLE import_finding (
  pk            INTEGER PRIMARY KEY,
  import_pk     INTEGER NOT NULL REFERENCES import_run (pk) ON DELETE CASCADE,
  kind          TEXT NOT NULL,
  -- what the finding is about: a concept of a code system, or a code a value set selects
  resource_type TEXT NOT NULL,
  url           TEXT NOT NULL,
  version       TEXT,
  code          TEXT,
  -- where: innefattar, utesluter, display, definition, compose, ...
  field         TEXT,
  -- JSON: the codes named
  refs          TEXT,
  -- JSON: what else the kind records (the group, the text before and after, ...)
  detail        TEXT
);
CREATE INDEX import_finding_by_run ON import_finding (import_pk, url, version, code);
