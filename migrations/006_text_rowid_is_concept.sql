-- The text index's rowid becomes the concept's pk: a code system's concepts are one range of pks,
-- so a text search is restricted to one code system (and joined with the closure or a reference
-- set) inside the FTS5 query, and its matches come in concept order. Rebuilt from the old rows.
CREATE VIRTUAL TABLE concept_text_by_pk USING fts5 (
  text,
  concept_pk UNINDEXED,
  cs_pk UNINDEXED,
  tokenize = "unicode61 remove_diacritics 0",
  prefix = '2 3'
);
INSERT INTO concept_text_by_pk (rowid, text, concept_pk, cs_pk) SELECT concept_pk, text, concept_pk, cs_pk FROM concept_text;
DROP TABLE concept_text;
ALTER TABLE concept_text_by_pk RENAME TO concept_text;
