#!/usr/bin/env node
import { Command } from 'commander';
import { SOFTWARE_VERSION } from '../version';
import { loadConfig, loadFollowConfig } from '../config';
import { openDatabase } from '../store/database';
import { ResourceStore } from '../store/resource-store';
import { IMPORTERS, importerFor } from '../importers';
import { ImportError } from '../importers/importer';
import { ImportHooks, describeSummary, runImport } from '../importers/run-import';
import { terminalProgress } from './progress';
import { nimCommand, releaseCommand } from './nim';
import { openNim, releaseImportHooks } from '../nim';
import { validateCommand } from './validate';
import { ArtefactStore } from '../store/artefact-store';
import { PendingRf2Archive, recordRf2Release } from '../syndication/rf2-archive';
import { storeCommands } from './store';
import { apiKeyCommand, auditCommand } from './security';
import { asOperator } from './operator-audit';
import { IMPORT_SYSTEM, kodverkAction } from '../security/audit-trail';
import path from 'node:path';
import type { RunningServer } from '../server';

const program = new Command();
// positional options: `kodverk import ksi file --version 2025` is the import's --version, not the program's
program.name('kodverk').description('Kodverk terminology server for Swedish social services').version(SOFTWARE_VERSION).enablePositionalOptions();

program
  .command('serve')
  .description('start the FHIR terminology server (PORT, KODVERK_DB and others from the environment)')
  .option('--follow <feed-urls>', 'run as a follower (read replica) of these syndication feeds, comma-separated (or KODVERK_FOLLOW)')
  .action(async (opts: { follow?: string }) => {
    // loaded here: the other commands need none of the HTTP application
    // SIGTERM/SIGINT: drain (KODVERK_SHUTDOWN_GRACE_MS), close workers and store, exit 0;
    // a second signal stops at once. Listened for before the start: a signal while a new store
    // loads its content (one transaction) is taken when the start is done, not an abrupt exit
    let server: RunningServer | undefined;
    let signalled = false;
    const shutDown = (running: RunningServer) =>
      running.shutdown().then(
        () => process.exit(0),
        (e) => {
          console.error('shutdown failed:', e);
          process.exit(1);
        },
      );
    const stop = (signal: string) => {
      if (signalled) {
        console.error(`${signal} again: stopping now`);
        process.exit(1);
      }
      signalled = true;
      if (server) void shutDown(server);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // loaded here: the other commands need none of the HTTP application
    const { startServer } = await import('../server');
    server = await startServer(opts.follow ? { follow: loadFollowConfig(opts.follow) } : {});
    if (signalled) void shutDown(server);
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
    // a Snomed CT release is syndicated as the RF2 files it was imported from: zipped in a worker
    // thread while it is imported (the import holds this one), kept once the import has committed
    const artefacts = importer.format === 'rf2' && config.syndication.access !== 'off' ? new ArtefactStore(config.syndication.artefactDir) : undefined;
    // a zip left behind by an import that was killed holds tens of MB nobody will adopt
    artefacts?.sweepStaging();
    let archive: PendingRf2Archive | undefined;
    try {
      const store = new ResourceStore(db);
      // an operator action on the store file: recorded in the audit trail with the file's name
      const entity = (s?: { sha256: string; created: number; updated: number }) => ({
        identifier: { system: IMPORT_SYSTEM, value: importer.format },
        display: path.basename(input),
        detail: s ? [{ type: 'sha256', value: s.sha256 }, { type: 'resources', value: `${s.created} created, ${s.updated} updated` }] : undefined,
      });
      const hooks: ImportHooks = {
        // releases on påseende that bind what the import changed are refreshed in its transaction
        ...releaseImportHooks(openNim(db, store)),
        hashed: (sha256) => (archive = artefacts && PendingRf2Archive.start(db, artefacts, input, sha256, opts.uri)),
      };
      const summary = await asOperator(db, { subtype: kodverkAction('import'), action: 'C', entity }, () => runImport(db, store, importer, input, opts, terminalProgress(), hooks));
      console.log(describeSummary(summary).join('\n'));
      if (artefacts && summary.publisherVersion && (await recordRf2Release(db, store, artefacts, input, summary.publisherVersion, summary.sha256, archive))) {
        console.log(`  RF2 snapshot kept for the syndication feed in ${artefacts.dir}`);
      }
    } finally {
      // a failed import, or one that kept no archive: the zipping thread and its file go
      await archive?.discard();
      db.close();
    }
  });

program.addCommand(nimCommand());
program.addCommand(releaseCommand());
program.addCommand(validateCommand());
for (const c of storeCommands()) program.addCommand(c);
program.addCommand(apiKeyCommand());
program.addCommand(auditCommand());

program.parseAsync(process.argv).catch((e) => {
  console.error(e instanceof ImportError ? `Import refused, nothing was changed. ${e.message}` : e instanceof Error ? e.message : e);
  process.exit(1);
});
