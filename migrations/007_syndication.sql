-- The syndication catalogue: one row per content item this instance publishes in its Atom feed
-- (GET /syndication/feed.xml) — a code-system, value-set or concept-map version as a FHIR NPM
-- package, a Snomed CT release as the RF2 snapshot it was imported from, a NIM release package —
-- or, on a follower, took in from the feed it follows (and publishes again to its own followers).
-- The artefact's bytes live in the content-addressed artefact folder under their sha256.
CREATE TABLE syndication_item (
  pk                      INTEGER PRIMARY KEY,
  -- ncts:contentItemVersion: url|version, a Snomed CT version URI, a package name|version
  content_item_version    TEXT NOT NULL UNIQUE,
  -- ncts:contentItemIdentifier: the version-independent identifier
  content_item_identifier TEXT NOT NULL,
  -- the NCTS ASF category term (FHIR_Package, SCT_RF2_SNAPSHOT, FHIR_ValueSet_RETRACT, ...)
  category                TEXT NOT NULL,
  -- Atom entry id (urn:uuid:...), stable for the content item version
  entry_id                TEXT NOT NULL,
  title                   TEXT NOT NULL,
  summary                 TEXT,
  rights                  TEXT,
  author                  TEXT,
  -- when the publisher first issued the content (FHIR: Resource.date), RFC 3339
  published               TEXT,
  -- when this entry or its artefact last changed, RFC 3339
  updated                 TEXT NOT NULL,
  fhir_version            TEXT,
  -- the artefact (NULL on a retraction)
  media_type              TEXT,
  file_name               TEXT,
  sha256                  TEXT,
  length                  INTEGER,
  -- JSON array of permission codes (onto:permission); NULL or [] when unrestricted
  permissions             TEXT,
  -- JSON array of contentItemVersions to take in first
  dependencies            TEXT,
  -- JSON: extra categories, e.g. a NIM release's lifecycle state
  extra                   TEXT,
  -- where the item comes from: resource (built from the store), rf2 (archived at import),
  -- nim-release (built from a release), mirror (taken in from a followed feed)
  origin                  TEXT NOT NULL CHECK (origin IN ('resource', 'rf2', 'nim-release', 'mirror')),
  -- what the artefact was built from (resource type/id/versionId, release version/hash)
  origin_key              TEXT,
  -- JSON: the feed a mirrored entry came from (Atom source: id, title, updated, link)
  source                  TEXT
);
CREATE INDEX syndication_item_by_identifier ON syndication_item (content_item_identifier);
