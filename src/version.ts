import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from './config';

/** Identity of this build, reported in metadata. */
export const SOFTWARE_NAME = 'Kodverk';
export const SOFTWARE_VERSION: string = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')).version;
export const FHIR_VERSION = '4.0.1';
/** Date of this release (package.json "releaseDate"). */
export const RELEASE_DATE: string = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')).releaseDate ?? '2026-11-22';
/** Version of the HL7 terminology-ecosystem tests (hl7.fhir.uv.tx-ecosystem) the server is checked against. */
export const TX_TEST_VERSION = '1.9.3';
