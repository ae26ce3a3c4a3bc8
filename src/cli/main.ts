#!/usr/bin/env node
import { Command } from 'commander';
import { startServer } from '../server';
import { SOFTWARE_VERSION } from '../version';

const program = new Command();
program.name('kodverk').description('Kodverk terminology server for Swedish social services').version(SOFTWARE_VERSION);

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

program.parseAsync(process.argv).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
