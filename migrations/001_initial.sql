-- Canonical resources (CodeSystem, ValueSet, ConceptMap, NamingSystem, ...) as FHIR JSON, with the
-- columns every search path needs pulled out and indexed. Several versions of one canonical URL
-- coexist as separate rows.
CREATE TABLE resource (
  pk            INTEGER PRIMARY KEY,
  resource_type TEXT NOT NULL,
  id            TEXT NOT NULL,
  url           TEXT,
  version       TEXT,
  name          TEXT,
  title         TEXT,
  status        TEXT,
  publisher     TEXT,
  date          TEXT,
  -- CodeSystem.content and CodeSystem.supplements: the engine picks code systems by these
  content       TEXT,
  supplements   TEXT,
  version_id    INTEGER NOT NULL DEFAULT 1,
  last_updated  TEXT NOT NULL,
  json          TEXT NOT NULL,
  UNIQUE (resource_type, id)
);
CREATE INDEX resource_by_url ON resource (resource_type, url, version);
CREATE INDEX resource_by_name ON resource (resource_type, name COLLATE NOCASE);
CREATE INDEX resource_by_title ON resource (resource_type, title COLLATE NOCASE);
CREATE INDEX resource_by_status ON resource (resource_type, status);
CREATE INDEX resource_by_publisher ON resource (resource_type, publisher COLLATE NOCASE);
CREATE INDEX resource_by_supplements ON resource (supplements) WHERE supplements IS NOT NULL;

-- Business identifiers (CodeSystem.identifier, NamingSystem.uniqueId): urn:oid: lookups.
CREATE TABLE resource_identifier (
  resource_pk INTEGER NOT NULL REFERENCES resource (pk) ON DELETE CASCADE,
  system      TEXT,
  value       TEXT NOT NULL
);
CREATE INDEX resource_identifier_by_value ON resource_identifier (value, system);
CREATE INDEX resource_identifier_by_resource ON resource_identifier (resource_pk);

-- Concepts of stored code systems, laid out for Snomed CT scale (>= 350,000 concepts,
-- >= 1.5 M designations, several parents per concept).
CREATE TABLE concept (
  pk         INTEGER PRIMARY KEY,
  cs_pk      INTEGER NOT NULL REFERENCES resource (pk) ON DELETE CASCADE,
  code       TEXT NOT NULL,
  display    TEXT,
  definition TEXT,
  -- 1 when the concept is inactive (status retired/deprecated/inactive, or inactive property)
  inactive   INTEGER NOT NULL DEFAULT 0,
  -- 1 when the concept is not selectable (abstract)
  abstract   INTEGER NOT NULL DEFAULT 0,
  status     TEXT,
  -- source order, so expansions follow the code system's order
  seq        INTEGER NOT NULL,
  -- anything else of the concept (extensions) as JSON, read only when a concept is shown
  extra      TEXT,
  UNIQUE (cs_pk, code)
);
CREATE INDEX concept_by_code_nocase ON concept (cs_pk, code COLLATE NOCASE);
CREATE INDEX concept_by_seq ON concept (cs_pk, seq);

-- Direct is-a links (a concept may have several parents).
CREATE TABLE concept_parent (
  child_pk  INTEGER NOT NULL REFERENCES concept (pk) ON DELETE CASCADE,
  parent_pk INTEGER NOT NULL REFERENCES concept (pk) ON DELETE CASCADE,
  PRIMARY KEY (child_pk, parent_pk)
) WITHOUT ROWID;
CREATE INDEX concept_parent_by_parent ON concept_parent (parent_pk, child_pk);

-- Transitive closure of is-a (excluding self): subsumption and is-a filters are one lookup.
CREATE TABLE concept_closure (
  ancestor_pk   INTEGER NOT NULL,
  descendant_pk INTEGER NOT NULL,
  PRIMARY KEY (ancestor_pk, descendant_pk)
) WITHOUT ROWID;
CREATE INDEX concept_closure_by_descendant ON concept_closure (descendant_pk, ancestor_pk);

CREATE TABLE concept_designation (
  pk          INTEGER PRIMARY KEY,
  concept_pk  INTEGER NOT NULL REFERENCES concept (pk) ON DELETE CASCADE,
  language    TEXT,
  use_system  TEXT,
  use_code    TEXT,
  use_display TEXT,
  value       TEXT NOT NULL,
  -- 1 when the designation is not current (standards-status withdrawn/deprecated)
  inactive    INTEGER NOT NULL DEFAULT 0,
  extra       TEXT
);
CREATE INDEX concept_designation_by_concept ON concept_designation (concept_pk);

-- Concept properties; value_text holds code/string/boolean/number values for filtering,
-- value_json the typed FHIR value (valueCoding, valueDateTime, ...).
CREATE TABLE concept_property (
  concept_pk INTEGER NOT NULL REFERENCES concept (pk) ON DELETE CASCADE,
  code       TEXT NOT NULL,
  value_type TEXT NOT NULL,
  value_text TEXT,
  value_json TEXT NOT NULL
);
CREATE INDEX concept_property_by_concept ON concept_property (concept_pk);
CREATE INDEX concept_property_by_value ON concept_property (code, value_text);

-- Full-text index over displays and designations. unicode61 with remove_diacritics 0 keeps
-- å, ä and ö distinct from a and o, as Swedish needs.
CREATE VIRTUAL TABLE concept_text USING fts5 (
  text,
  concept_pk UNINDEXED,
  cs_pk UNINDEXED,
  tokenize = "unicode61 remove_diacritics 0",
  prefix = '2 3'
);

-- Small key/value facts about the store (e.g. which content pack was loaded).
CREATE TABLE store_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
