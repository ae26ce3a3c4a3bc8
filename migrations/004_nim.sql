-- NIMs (nationella informationsmängder) and their releases for vendors.

-- One row per NIM version: the logical model as a FHIR StructureDefinition (json) with its
-- lifecycle. A NIM has at most one working version (utkast or paseende) at a time; faststalld
-- versions are never rewritten (only repealed: status upphavd and effective_to).
CREATE TABLE nim_model (
  pk             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL,
  version        TEXT NOT NULL,
  url            TEXT NOT NULL,
  -- StructureDefinition.id (nim-<name>-<version>), readable at /fhir/StructureDefinition/<id>
  resource_id    TEXT NOT NULL UNIQUE,
  title          TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('utkast', 'paseende', 'faststalld', 'upphavd')),
  effective_from TEXT,
  effective_to   TEXT,
  -- bumped on every write (ETag of the StructureDefinition)
  version_id     INTEGER NOT NULL DEFAULT 1,
  updated_at     TEXT NOT NULL,
  json           TEXT NOT NULL,
  UNIQUE (name, version)
);
CREATE UNIQUE INDEX nim_model_one_working ON nim_model (name) WHERE status IN ('utkast', 'paseende');
CREATE INDEX nim_model_by_url ON nim_model (url, version);

-- Releases: semantic version, lifecycle, effective dates. From paseende on, snapshot holds the
-- release's content as canonical JSON (NIMs, resolved value-set and code-system versions,
-- expansions) and content_hash its sha256; a faststalld release's snapshot never changes.
CREATE TABLE nim_release (
  pk             INTEGER PRIMARY KEY,
  version        TEXT NOT NULL UNIQUE,
  title          TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('utkast', 'paseende', 'faststalld', 'upphavd')),
  effective_from TEXT,
  effective_to   TEXT,
  content_hash   TEXT,
  snapshot       TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);

-- The NIM versions a release is made of (for a draft: what the next snapshot will take).
CREATE TABLE nim_release_member (
  release_pk INTEGER NOT NULL REFERENCES nim_release (pk) ON DELETE CASCADE,
  model_pk   INTEGER NOT NULL REFERENCES nim_model (pk),
  PRIMARY KEY (release_pk, model_pk)
) WITHOUT ROWID;
CREATE INDEX nim_release_member_by_model ON nim_release_member (model_pk);

-- Value-set membership at publication, one index lookup per code when records are validated
-- against a release: the codes of every bound value set, keyed by its resolved url|version.
CREATE TABLE nim_release_code (
  release_pk INTEGER NOT NULL REFERENCES nim_release (pk) ON DELETE CASCADE,
  value_set  TEXT NOT NULL,
  system     TEXT NOT NULL,
  code       TEXT NOT NULL,
  display    TEXT,
  inactive   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (release_pk, value_set, system, code)
) WITHOUT ROWID;

-- Comments recorded while a release is on paseende (organisation, never a person's name).
CREATE TABLE nim_comment (
  pk           INTEGER PRIMARY KEY,
  release_pk   INTEGER NOT NULL REFERENCES nim_release (pk) ON DELETE CASCADE,
  nim          TEXT,
  attribute    TEXT,
  organisation TEXT,
  text         TEXT NOT NULL,
  created_at   TEXT NOT NULL
);
CREATE INDEX nim_comment_by_release ON nim_comment (release_pk);

-- Lifecycle events of releases (the vendor feed), with what was decided (e.g. a lead-time override).
CREATE TABLE nim_release_event (
  pk         INTEGER PRIMARY KEY,
  release_pk INTEGER NOT NULL REFERENCES nim_release (pk) ON DELETE CASCADE,
  at         TEXT NOT NULL,
  status     TEXT NOT NULL,
  note       TEXT
);
CREATE INDEX nim_release_event_by_release ON nim_release_event (release_pk);
