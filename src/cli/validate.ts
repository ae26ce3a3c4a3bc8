import fs from 'node:fs';
import { once } from 'node:events';
import { Command } from 'commander';
import { loadConfig } from '../config';
import { openDatabase } from '../store/database';
import { ResourceStore } from '../store/resource-store';
import { openNim } from '../nim';
import { outcomeOf } from '../terminology/issues';
import { NimValidation } from '../nim/validation';
import type { SubmissionFormat } from '../nim/validation/submission-reader';
import { SubmissionValidator } from '../nim/validation/submission-validator';

/**
 * `kodverk validate …`: the validation endpoints on the store named by KODVERK_DB, for files a
 * municipality or vendor has at hand. The report is printed as the endpoint answers it. Exit
 * code 0: no errors; 2: the data has errors; 1: the file or request could not be validated.
 */

export interface ValidateCliOptions {
  /** SQLite file (default: KODVERK_DB) */
  dbPath?: string;
  /** where the report is written (default: stdout) */
  write?: (text: string) => void | Promise<void>;
  /** sets the exit code (default: process.exitCode) */
  exitCode?: (code: number) => void;
}

async function toStdout(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** The format of a submission file: --format, else its extension (.ndjson, .jsonl), else CSV. */
function formatOf(file: string, given?: string): SubmissionFormat {
  if (given !== undefined) {
    if (given !== 'csv' && given !== 'ndjson') throw new Error(`--format is csv or ndjson, not ${given}`);
    return given;
  }
  return /\.(ndjson|jsonl)$/i.test(file) ? 'ndjson' : 'csv';
}

export function validateCommand(options: ValidateCliOptions = {}): Command {
  const write = options.write ?? toStdout;
  const exitCode = options.exitCode ?? ((code: number) => void (process.exitCode = code));
  const withValidation = async <T>(fn: (v: NimValidation) => T | Promise<T>): Promise<T> => {
    const db = openDatabase(options.dbPath ?? loadConfig().dbPath);
    try {
      const store = new ResourceStore(db);
      return await fn(new NimValidation(openNim(db, store), store));
    } finally {
      db.close();
    }
  };

  const validate = new Command('validate').description('validate records and register submission files against NIM releases');

  validate
    .command('submission')
    .description('validate a submission file (semicolon-separated CSV with a NIM.attribute header, or NDJSON); prints the report')
    .argument('<file>')
    .option('--release <version>', 'judge every row by this release (default: the release in force on each row\'s event date)')
    .option('--format <format>', 'csv or ndjson (default: from the file name)')
    .action((file: string, opts: { release?: string; format?: string }) =>
      withValidation(async (v) => {
        const summary = await new SubmissionValidator(v).run(fs.createReadStream(file), { format: formatOf(file, opts.format), release: opts.release }, write);
        exitCode(summary.complete ? (summary.valid ? 0 : 2) : 1);
      }),
    );

  validate
    .command('record')
    .description('validate one record: a JSON file {nim, release?, date?, record}; prints an OperationOutcome')
    .argument('<file>')
    .option('--release <version>', 'the release to judge it by')
    .option('--date <date>', 'the event date that picks the release in force (YYYY-MM-DD)')
    .action((file: string, opts: { release?: string; date?: string }) =>
      withValidation(async (v) => {
        let body: unknown;
        try {
          body = JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch {
          throw new Error(`${file} is not a JSON file`);
        }
        if (body && typeof body === 'object' && !Array.isArray(body)) body = { ...body, ...(opts.release ? { release: opts.release } : {}), ...(opts.date ? { date: opts.date } : {}) };
        const issues = v.validateRecord(body);
        await write(JSON.stringify(outcomeOf(issues), null, 2) + '\n');
        exitCode(issues.some((i) => i.severity === 'error' || i.severity === 'fatal') ? 2 : 0);
      }),
    );

  return validate;
}
