#!/usr/bin/env node
import { Command } from 'commander';
import { startServer } from '../server';
import { SOFTWARE_VERSION } from '../version';
import { loadConfig } from '../config';
import { openDatabase } from '../store/database';
import { ResourceStore } from '../store/resource-store';
import { IMPORTERS, importerFor } from '../importers';
import { ImportError } from '../importers/importer';
import { describeSummary, runImport } from '../importers/run-import';
import { terminalProgress } from './progress';
import { nimCommand } from './nim';
import { openNim, releaseImportHooks } from '../nim';
import { validateCommand } from './validate';
import { apiKeyCommand, auditCommand } from './security';
import { asOperator } from './operator-audit';
import { IMPORT_SYSTEM, kodverkAction } from '../security/audit-trail';
import path from 'node:path';

const program = new Command();
// positional options: `kodverk import ksi file --version 2025` is the import's --version, not the program's
program.name('kodverk').description('Kodverk terminology server for Swedish social services').version(SOFTWARE_VERSION).enablePositionalOptions();

program
  .command('serve')
  .description('start the FHIR terminology server (PORT, KODVERK_DB and others from the environment)')
  .action(async () => {
    const server = await startServer();
    const stop = () => {
      void server.close().then(() => process.exit(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

program
  .command('import')
  .description(
    'import a release file or folder into the store named by KODVERK_DB (one transaction; a running server sees the result at once)\n' +
      IMPORTERS.map((i) => `  ${i.format.padEnd(6)} ${i.description}`).join('\n'),
  )
  .argument('<format>', IMPORTERS.map((i) => i.format).join(' | '))
  .argument('<input>', 'file or folder')
  .option('--uri <uri>', 'rf2: the edition/version URI (http://snomed.info/sct/<module>/version/<date>)')
  .option('--version <version>', 'the version to give the imported code system (when the file does not say)')
  .action(async (format: string, input: string, opts: Record<string, string>) => {
    const importer = importerFor(format);
    if (!importer) throw new Error(`Unknown format '${format}'; known: ${IMPORTERS.map((i) => i.format).join(', ')}`);
    const config = loadConfig();
    const db = openDatabase(config.dbPath);
    try {
      const store = new ResourceStore(db);
      // an operator action on the store file: recorded in the audit trail with the file's name
      const entity = (s?: { sha256: string; created: number; updated: number }) => ({
        identifier: { system: IMPORT_SYSTEM, value: importer.format },
        display: path.basename(input),
        detail: s ? [{ type: 'sha256', value: s.sha256 }, { type: 'resources', value: `${s.created} created, ${s.updated} updated` }] : undefined,
      });
      // releases on påseende that bind what the import changed are refreshed in its transaction
      const summary = await asOperator(db, { subtype: kodverkAction('import'), action: 'C', entity }, () =>
        runImport(db, store, importer, input, opts, terminalProgress(), releaseImportHooks(openNim(db, store))),
      );
      console.log(describeSummary(summary).join('\n'));
    } finally {
      db.close();
    }
  });

program.addCommand(nimCommand());
program.addCommand(validateCommand());
program.addCommand(apiKeyCommand());
program.addCommand(auditCommand());

program.parseAsync(process.argv).catch((e) => {
  console.error(e instanceof ImportError ? `Import refused, nothing was changed. ${e.message}` : e instanceof Error ? e.message : e);
  process.exit(1);
});
