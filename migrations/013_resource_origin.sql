-- Where a stored resource and a NIM release come from, so that one source can never replace or
-- retract what another put here: NULL when this instance's operator did (an import, the content
-- pack, a write through the API); 'shipped' for the FHIR R4 core terminology Kodverk loads itself;
-- 'feed <url>' when a follower took it in from the feed at that URL. A feed may replace or retract
-- only what it delivered itself (and shipped content).
ALTER TABLE resource ADD COLUMN origin TEXT;
ALTER TABLE nim_release ADD COLUMN origin TEXT;

-- What a follower took in before this migration: a followed feed, which one was not recorded
-- ('feed'; the next write from a feed records which). Resources are found by their import's file
-- hash, which is the hash of the feed entry's artefact; NIM releases exist on a follower only
-- from its feeds. The FHIR core terminology is marked 'shipped' at start (its list is in code).
UPDATE resource SET origin = 'feed' WHERE pk IN (
  SELECT ir.resource_pk FROM import_resource ir JOIN import_run r ON r.pk = ir.import_pk
  WHERE r.sha256 IN (SELECT sha256 FROM syndication_item WHERE origin = 'mirror' AND sha256 IS NOT NULL));
UPDATE nim_release SET origin = 'feed' WHERE EXISTS (SELECT 1 FROM syndication_item WHERE origin = 'mirror');
