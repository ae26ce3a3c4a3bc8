import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import YAML from 'yaml';
import { loadConfig } from '../config';
import { openDatabase } from '../store/database';
import { ResourceStore } from '../store/resource-store';
import { Nim, openNim } from '../nim';
import { DEFAULT_SHORT_DISPLAY_LIMIT, valueSetsCsv, valueSetsXlsx } from '../nim/release-exports';
import { buildPackage, readPackage } from '../nim/release-package';
import { refreshLines } from '../nim/release-refresh';
import { AuditAction, KodverkAction, RELEASE_SYSTEM, kodverkAction } from '../security/audit-trail';
import { OperatorAction, asOperator } from './operator-audit';

/** What a writing command records in the audit trail. */
interface NimWrite<T> {
  code: KodverkAction;
  action: AuditAction;
  entity?: OperatorAction<T>['entity'];
}

/**
 * `kodverk nim …`: the NIM API's authoring and release workflow on the store named by
 * KODVERK_DB (the same rules as over HTTP; a running server sees the result at once).
 */

export interface NimCliOptions {
  /** SQLite file (default: KODVERK_DB) */
  dbPath?: string;
  /** where answers are written (default: stdout) */
  out?: (text: string) => void;
}

/** A definition file: YAML or JSON (JSON is YAML). */
function readDefinition(file: string): unknown {
  return YAML.parse(fs.readFileSync(file, 'utf8'));
}

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

export function nimCommand(options: NimCliOptions = {}): Command {
  const out = options.out ?? ((t: string) => console.log(t));
  const print = (value: unknown) => out(typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  /** Runs fn with the NIM workflows over the store, closing it afterwards. */
  const withNim = async <T>(fn: (nim: Nim) => T | Promise<T>, write?: NimWrite<NoInfer<T>>): Promise<T> => {
    const db = openDatabase(options.dbPath ?? loadConfig().dbPath);
    try {
      const nim = openNim(db, new ResourceStore(db));
      const audit = write && { subtype: kodverkAction(write.code), action: write.action, entity: write.entity };
      return await (audit ? asOperator(db, audit, () => fn(nim)) : fn(nim));
    } finally {
      db.close();
    }
  };
  /** A command that changes NIMs or releases: an operator action in the audit trail. */
  const nimModel = (name: string, version?: string) => () => ({ reference: version ? `StructureDefinition/nim-${name}-${version}` : undefined, display: version ? `${name} ${version}` : name });
  const releaseEntity = (version: string | undefined, detail?: { type: string; value: string }[]) => () => ({ identifier: { system: RELEASE_SYSTEM, value: version ?? 'new' }, display: version, detail });

  const nim = new Command('nim').description('NIMs (nationella informationsmängder) and their releases for vendors');

  nim.command('list').description('list NIMs and their versions').action(() =>
    withNim((n) => {
      for (const m of n.models.list()) out(`${m.name.padEnd(22)} ${m.versions.map((v) => `${v.version} (${v.status}${v.effectiveFrom ? ` från ${v.effectiveFrom}` : ''})`).join(', ')}`);
    }),
  );
  nim
    .command('show')
    .description('show a NIM version: definition and lifecycle')
    .argument('<name>')
    .argument('[version]')
    .action((name: string, version?: string) =>
      withNim((n) => {
        const row = n.models.get(name, version);
        print({ name: row.name, version: row.version, status: row.status, effectiveFrom: row.effectiveFrom, effectiveTo: row.effectiveTo, definition: n.models.definition(row) });
      }),
    );
  nim
    .command('create')
    .description('create a NIM (its first version, an utkast) from a YAML or JSON definition')
    .argument('<file>')
    .option('--version <version>', 'first version', '1.0.0')
    .action((file: string, o: { version: string }) =>
      withNim(
        (n) => n.models.create(readDefinition(file), o.version),
        { code: 'nim-create', action: 'C', entity: (r) => (r ? nimModel(r.name, r.version)() : undefined) },
      ).then((r) => out(`created ${r.resourceId} (utkast)`)),
    );
  nim
    .command('new-version')
    .description('start a new working version (utkast) of an adopted NIM')
    .argument('<name>')
    .option('--version <version>', 'the new version (default: next minor)')
    .action((name: string, o: { version?: string }) =>
      withNim((n) => n.models.newVersion(name, o.version), { code: 'nim-new-version', action: 'C', entity: (r) => (r ? nimModel(r.name, r.version)() : nimModel(name)()) }).then((r) => out(`created ${r.resourceId} (utkast)`)),
    );
  nim
    .command('edit')
    .description("replace an utkast's definition")
    .argument('<name>')
    .argument('<version>')
    .argument('<file>')
    .option('--renumber <version>', 'give the utkast another version')
    .action((name: string, version: string, file: string, o: { renumber?: string }) =>
      withNim((n) => n.models.update(name, version, readDefinition(file), o.renumber), { code: 'nim-update', action: 'U', entity: nimModel(name, version) }).then((r) => out(`updated ${r.resourceId}`)),
    );
  nim
    .command('delete')
    .description('delete an utkast that belongs to no release')
    .argument('<name>')
    .argument('<version>')
    .action((name: string, version: string) => withNim((n) => n.models.delete(name, version), { code: 'nim-delete', action: 'D', entity: nimModel(name, version) }).then(() => out(`deleted ${name} ${version}`)));

  const release = nim.command('release').description('releases: create, lifecycle, comments, diff, export, import');
  release.command('list').description('list releases, newest first').action(() =>
    withNim((n) => {
      for (const r of n.releases.list()) out(`${r.version.padEnd(8)} ${r.status.padEnd(10)} ${(r.effectiveFrom ?? '').padEnd(10)} ${r.contentHash ?? ''}  ${r.title}`);
    }),
  );
  release
    .command('show')
    .description('the manifest: NIM versions, resolved value-set and code-system versions, status, dates, content hash')
    .argument('<version>')
    .action((version: string) => withNim((n) => print(n.releases.manifest(n.releases.get(version)))));
  const fields = (c: Command) =>
    c
      .option('--title <title>')
      .option('--version <version>', 'semantic version (default: what the changes need)')
      .option('--effective-from <date>')
      .option('--effective-to <date>')
      .option('--nims <names>', 'comma-separated NIM names (name or name|version); default every NIM', list);
  const input = (o: { title?: string; version?: string; effectiveFrom?: string; effectiveTo?: string; nims?: string[] }) => ({
    title: o.title,
    version: o.version,
    effectiveFrom: o.effectiveFrom,
    effectiveTo: o.effectiveTo,
    nims: o.nims,
  });
  fields(release.command('create').description('create a draft release (utkast)')).action((o) =>
    withNim((n) => n.releases.create(input(o)), { code: 'release-create', action: 'C', entity: (r) => releaseEntity(r?.version ?? o.version)() }).then((r) => out(`created release ${r.version} (utkast)`)),
  );
  fields(release.command('edit').description('change a draft release').argument('<release>')).action((version: string, o) =>
    withNim((n) => n.releases.update(version, input(o)), { code: 'release-update', action: 'U', entity: releaseEntity(version) }).then((r) => out(`updated release ${r.version}`)),
  );
  release
    .command('status')
    .description('move a release: utkast → paseende → faststalld → upphavd (paseende → utkast to revise)')
    .argument('<version>')
    .argument('<status>', 'paseende | faststalld | upphavd | utkast')
    .option('--effective-from <date>', 'when an adopted release takes effect')
    .option('--effective-to <date>', 'when a repealed release stops')
    .option('--override-lead-time <reason>', 'adopt although vendors get less than the lead time (the reason is recorded)')
    .action((version: string, status: string, o: { effectiveFrom?: string; effectiveTo?: string; overrideLeadTime?: string }) =>
      withNim(
        (n) => n.releases.transition(version, status, o),
        { code: o.overrideLeadTime ? 'lead-time-override' : 'release-status', action: 'U', entity: releaseEntity(version, [{ type: 'status', value: String(status) }]) },
      ).then((r) => out(`release ${r.version} is ${r.status}${r.effectiveFrom ? `, effective from ${r.effectiveFrom}` : ''}${r.contentHash ? `, content ${r.contentHash}` : ''}`)),
    );
  release
    .command('refresh')
    .description('take the snapshot of a release on påseende again (default: every one) from what the store holds now; an adopted release never changes')
    .argument('[version]')
    .action((version?: string) =>
      withNim((n) => n.releases.refresh({ version, trigger: { kind: 'manual' } }), {
        code: 'release-refresh',
        action: 'U',
        entity: () => ({ identifier: { system: RELEASE_SYSTEM, value: version ?? '*' }, display: version ?? 'every release on påseende' }),
      }).then((outcomes) => {
        const lines = refreshLines(outcomes);
        for (const o of outcomes.filter((x) => !x.refreshed)) out(`release ${o.version} (${o.status}): ${o.reason === 'unchanged' ? 'already up to date' : o.reason === 'utkast' ? 'an utkast is always resolved anew' : 'adopted, never changes'}`);
        for (const l of lines) out(l);
        if (!outcomes.length) out('no release is on påseende');
      }),
    );
  release
    .command('comment')
    .description('record a comment on a release on påseende (an organisation, never a person)')
    .argument('<version>')
    .argument('<text>')
    .option('--organisation <name>')
    .option('--nim <name>')
    .option('--attribute <id>')
    .action((version: string, text: string, o: { organisation?: string; nim?: string; attribute?: string }) =>
      withNim((n) => n.releases.comment(version, { ...o, text }), { code: 'release-comment', action: 'C', entity: releaseEntity(version) }).then((c) => out(`comment ${c.pk} recorded`)),
    );
  release
    .command('comments')
    .argument('<version>')
    .action((version: string) => withNim((n) => print(n.releases.comments(version))));
  release
    .command('diff')
    .description('what changed between two releases (JSON)')
    .argument('<from>')
    .argument('<to>')
    .action((from: string, to: string) => withNim((n) => print(n.releases.diff(from, to))));
  release
    .command('effective')
    .description('what takes effect (or ends) between two dates')
    .argument('<from>')
    .argument('<to>')
    .action((from: string, to: string) => withNim((n) => print(n.releases.effectiveBetween(from, to))));
  release
    .command('export')
    .description('write the FHIR package (.tgz) and the value-set lists (CSV, XLSX) of a release')
    .argument('<version>')
    .option('--out <dir>', 'folder to write to', '.')
    .option('--short-display-limit <n>', 'characters before a display gets a short form', String(DEFAULT_SHORT_DISPLAY_LIMIT))
    .action((version: string, o: { out: string; shortDisplayLimit: string }) =>
      withNim(async (n) => {
        const r = n.releases.get(version);
        if (!r.snapshot) throw new Error(`Release ${version} is an utkast and has no published content yet`);
        const snap = JSON.parse(r.snapshot);
        const limit = Number(o.shortDisplayLimit);
        fs.mkdirSync(o.out, { recursive: true });
        const files: [string, Buffer | string][] = [
          [`se.kodverk.nim-${version}.tgz`, buildPackage(snap)],
          [`nim-${version}-valuesets.csv`, valueSetsCsv(snap, limit)],
          [`nim-${version}-valuesets.xlsx`, await valueSetsXlsx(snap, limit)],
        ];
        for (const [name, content] of files) {
          fs.writeFileSync(path.join(o.out, name), content);
          out(path.join(o.out, name));
        }
      }),
    );
  release
    .command('import')
    .description("import a release package exported by another Kodverk (reproduces it exactly)")
    .argument('<tgz>')
    .action((file: string) =>
      withNim(
        async (n) => n.releases.importSnapshot(await readPackage(fs.readFileSync(file))),
        { code: 'release-import', action: 'C', entity: (x) => releaseEntity(x?.release.version, x ? [{ type: 'sha256', value: String(x.release.contentHash) }] : undefined)() },
      ).then(({ release: r, created }) => out(`${created ? 'imported' : 'already present:'} release ${r.version} (${r.status}), content ${r.contentHash}`)),
    );
  return nim;
}

/**
 * `kodverk release …`: the release commands by the name publishers and vendors use (the same as
 * `kodverk nim release …`, e.g. `kodverk release refresh [version]`).
 */
export function releaseCommand(options: NimCliOptions = {}): Command {
  return nimCommand(options).commands.find((c) => c.name() === 'release')!;
}
