import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DATA, startTestServer } from '../../helpers/server';
import type { RunningServer } from '../../../src/server';

const SOCIALSTYRELSEN = path.join(SHARED_DATA, 'socialstyrelsen');
const IMPORTERS = path.resolve(__dirname, '../../../src/importers');

/** Why KSI and ICF cannot be imported here, or undefined when they can. */
export function whyNoKsiIcf(): string | undefined {
  if (!fs.existsSync(path.join(SOCIALSTYRELSEN, 'ksi-2025.xlsx')) || !fs.existsSync(path.join(SOCIALSTYRELSEN, 'icf-2025-inkl-core-sets.xlsx'))) {
    return `Socialstyrelsen's KSI/ICF files are not in ${SOCIALSTYRELSEN}`;
  }
  if (!fs.existsSync(path.join(IMPORTERS, 'ksi.ts')) || !fs.existsSync(path.join(IMPORTERS, 'icf.ts'))) return 'the KSI and ICF importers (src/importers/ksi.ts, icf.ts) are not there yet';
  return undefined;
}

export interface PageServer {
  server: RunningServer & { dir: string };
  /** KSI and ICF were imported */
  withKsiIcf: boolean;
  close(): Promise<void>;
}

/**
 * The real server as people run it: FHIR core terminology, the content pack and the NIM seed,
 * plus Socialstyrelsen's ICF 2025 and KSI 2025 (and the older flat KSI export, for version
 * history and diffs) imported through runImport when the files and importers are there.
 */
export async function startPageServer(): Promise<PageServer> {
  const server = await startTestServer({ loadFhirCore: true });
  const why = whyNoKsiIcf();
  if (why) console.warn(`Page tests run without KSI and ICF: ${why}`);
  else {
    // required here, not imported: the importers are optional for these tests
    const { runImport } = require('../../../src/importers/run-import');
    const { icfImporter } = require('../../../src/importers/icf');
    const { createKsiImporter } = require('../../../src/importers/ksi');
    const { icfKoderFromStore } = require('../../../src/importers/ksi-icf-map');
    const { openNim, releaseImportHooks } = require('../../../src/nim');
    // as `kodverk import` does: releases on påseende follow what the imports change
    const hooks = releaseImportHooks(openNim(server.db, server.store));
    await runImport(server.db, server.store, icfImporter, path.join(SOCIALSTYRELSEN, 'icf-2025-inkl-core-sets.xlsx'), {}, undefined, hooks);
    const ksi = createKsiImporter(() => icfKoderFromStore(server.store));
    await runImport(server.db, server.store, ksi, path.join(SOCIALSTYRELSEN, 'ksi.tsv'), { version: '2024' }, undefined, hooks);
    await runImport(server.db, server.store, ksi, path.join(SOCIALSTYRELSEN, 'ksi-2025.xlsx'), {}, undefined, hooks);
  }
  return {
    server,
    withKsiIcf: !why,
    close: async () => {
      await server.close();
    },
  };
}
