-- One value set per meaning, and releases that follow their content until adopted.
--
-- The content pack's stand-ins for value sets that Socialstyrelsen's KSI import defines
-- (terminology/nim/urval.yaml, version 0.1.0: ksi-aoh, ksi-funkh, ksi-bouh, ksi-vuxmissbrukh,
-- ksi-ekbisthu, ksi-aktivitetsstatus) coexisted with the imported versions of the same URL, with
-- another title and no codes. From now on they are placeholders (meta.tag platshallare): the
-- import's first version of the URL removes them. Stores seeded before this:
--   1. mark the stand-ins as placeholders and give them the import's title and name,
--   2. remove those whose URL an import has already given a version.
-- Releases on påseende that resolved them are refreshed when the server starts (an event with
-- the diff in the release feed); an adopted release keeps its snapshot, which holds its own copy.

CREATE TEMP TABLE placeholder_title (url TEXT PRIMARY KEY, name TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL);
INSERT INTO placeholder_title (url, name, title, description) VALUES
  ('https://kodverk.se/fhir/ValueSet/ksi-aktivitetsstatus', 'KSIAktivitetsstatus', 'Aktivitetsstatus KSI', 'Alla koder i kodverket Aktivitetsstatus KSI (ksi-2025.xlsx, fliken Aktivitetsstatus KSI).'),
  ('https://kodverk.se/fhir/ValueSet/ksi-aoh', 'KSIUrvalAOH', 'KSI – urval ÄOH (äldreomsorg, handläggare)', 'KSI-aktiviteterna med 1 i kolumnen ÄOH i fliken Aktiviteter.'),
  ('https://kodverk.se/fhir/ValueSet/ksi-funkh', 'KSIUrvalFUNKH', 'KSI – urval FunkH (funktionsnedsättning, handläggare)', 'KSI-aktiviteterna med 1 i kolumnen FunkH i fliken Aktiviteter.'),
  ('https://kodverk.se/fhir/ValueSet/ksi-bouh', 'KSIUrvalBOUH', 'KSI – urval BoUH (barn och unga, handläggare)', 'KSI-aktiviteterna med 1 i kolumnen BoUH i fliken Aktiviteter.'),
  ('https://kodverk.se/fhir/ValueSet/ksi-vuxmissbrukh', 'KSIUrvalVUXMISSBRUKH', 'KSI – urval VuxMissbrukH (vuxna inklusive missbruk och beroende, handläggare)', 'KSI-aktiviteterna med 1 i kolumnen VuxMissbrukH i fliken Aktiviteter.'),
  ('https://kodverk.se/fhir/ValueSet/ksi-ekbisthu', 'KSIUrvalEKBISTHU', 'KSI – urval EkBistHU (ekonomiskt bistånd, handläggare och utförare)', 'KSI-aktiviteterna med 1 i kolumnen EkBistHU i fliken Aktiviteter.');

UPDATE resource
SET json = json_set(
      json,
      '$.meta.tag', json('[{"system":"https://kodverk.se/fhir/CodeSystem/kodverk-innehall","code":"platshallare","display":"Platshållare tills källan importeras"}]'),
      '$.name', (SELECT name FROM placeholder_title p WHERE p.url = resource.url),
      '$.title', (SELECT title FROM placeholder_title p WHERE p.url = resource.url),
      '$.description', (SELECT description FROM placeholder_title p WHERE p.url = resource.url)
        || ' Platshållare utan koder: importen av källan (kodverk import ksi) ger värdemängden dess versioner och ersätter den. Källa: terminology/nim/urval.yaml.'),
    name = (SELECT name FROM placeholder_title p WHERE p.url = resource.url),
    title = (SELECT title FROM placeholder_title p WHERE p.url = resource.url)
WHERE resource_type = 'ValueSet'
  AND version = '0.1.0'
  AND publisher = 'Kodverk'
  AND url IN (SELECT url FROM placeholder_title);

DELETE FROM resource
WHERE resource_type = 'ValueSet'
  AND version = '0.1.0'
  AND publisher = 'Kodverk'
  AND url IN (SELECT url FROM placeholder_title)
  AND EXISTS (SELECT 1 FROM resource o WHERE o.resource_type = 'ValueSet' AND o.url = resource.url AND o.pk <> resource.pk);

DROP TABLE placeholder_title;

-- A release's events: lifecycle steps and, from now on, refreshes of a release on påseende
-- (status 'uppdaterad'); detail holds what is too large for the feed's note (the whole diff).
ALTER TABLE nim_release_event ADD COLUMN detail TEXT;
