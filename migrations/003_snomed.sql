-- Snomed CT beyond what the generic concept tables hold. Concepts, descriptions (as designations),
-- is-a parents and the closure live in concept / concept_designation / concept_parent /
-- concept_closure; these tables keep the rest of an RF2 release, keyed by concept rows (pk) so
-- that ECL evaluation and $lookup are index lookups, never scans of SCTID strings.

-- Per concept: the RF2 columns the concept row has no place for.
CREATE TABLE sct_concept (
  concept_pk     INTEGER PRIMARY KEY REFERENCES concept (pk) ON DELETE CASCADE,
  module_pk      INTEGER,
  -- effectiveTime as YYYYMMDD
  effective_time INTEGER NOT NULL,
  -- 1: sufficiently defined (900000000000073002), 0: primitive (900000000000074008)
  defined        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sct_concept_by_module ON sct_concept (module_pk);

-- Active inferred attribute relationships (is-a excluded: that is concept_parent), with role group
-- and, for concrete domains, the value as RF2 writes it (#12, #1.5, "text") instead of a destination.
CREATE TABLE sct_relationship (
  source_pk INTEGER NOT NULL REFERENCES concept (pk) ON DELETE CASCADE,
  type_pk   INTEGER NOT NULL,
  dest_pk   INTEGER,
  value     TEXT,
  grp       INTEGER NOT NULL
);
CREATE INDEX sct_relationship_by_source ON sct_relationship (source_pk, type_pk);
-- refinements `attr = value` and dotted attributes (`X . attr`) go from the value side
CREATE INDEX sct_relationship_by_type_dest ON sct_relationship (type_pk, dest_pk);
CREATE INDEX sct_relationship_by_dest ON sct_relationship (dest_pk, type_pk);

-- Active members of simple, association (replaced-by, same-as, ...), attribute-value and simple-map
-- reference sets. referenced_pk is set when the referenced component is a concept of the release.
CREATE TABLE sct_refset_member (
  refset_pk     INTEGER NOT NULL REFERENCES concept (pk) ON DELETE CASCADE,
  referenced_pk INTEGER,
  referenced_id TEXT NOT NULL,
  -- association target / attribute value (a concept) or map target (text)
  target_pk     INTEGER,
  target        TEXT
);
CREATE INDEX sct_refset_member_by_refset ON sct_refset_member (refset_pk, referenced_pk);
CREATE INDEX sct_refset_member_by_referenced ON sct_refset_member (referenced_pk, refset_pk);
