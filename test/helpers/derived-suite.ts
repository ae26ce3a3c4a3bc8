import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SUITE } from './tx-runner';

/**
 * Cases derived from the HL7 suite's own. Each visible test states one request and its answer; the
 * FHIR terminology operations say that other requests mean the same thing, so they must get the same
 * answer, or one changed in a way the rule fixes:
 *
 * - **code ⇄ coding** (ValueSet/$validate-code): `code`, `system`, `systemVersion` and `display`
 *   state what a `coding` states. The answer is the same; issue paths name the parameter as sent
 *   (`code` ⇄ `Coding.code`; an issue about the coding as a whole, such as an inactive or
 *   deprecated concept, is at `Coding` for a coding and at `code` for a code, so a code form's
 *   answer about such a concept is not turned into a coding's). `systemVersion` sent under its
 *   STU3 name `version` gets the same answer. CodeSystem/$validate-code's `url`+`code` ⇄ a
 *   `coding` likewise.
 * - **coding ⇄ CodeableConcept of that one coding**: the same answer with the CodeableConcept
 *   echoed and paths `CodeableConcept.coding[0].…`. From a coding (or code) only for a valid code;
 *   from a CodeableConcept also for an error, when its answer names the code and system and is not
 *   about membership. A code not in the value set is reported differently for a CodeableConcept
 *   ("No valid coding was found…", the code's own issue as information), so those are left out.
 * - **a value set's version** as `url|version` or as `valueSetVersion`: the same answer.
 * - **$lookup's `system`+`code`** (+`version`) or a `coding`: the same answer.
 * - **url ⇄ the value set itself**: `$expand` and `$validate-code` of a value set named by `url`
 *   (one of the suite's setup) give the answer the same value set sent inline as `valueSet` gets.
 * - **the order of the parameters** (none repeated) means nothing: reversed, the same answer.
 * - **displayLanguage ⇄ Accept-Language**: the display language stated by the header instead of the
 *   parameter gives the same answer (the IG's Multi-Language Support page).
 *
 * Another form of a coded value is derived only where the suite does not already hold it. The
 * derived tree (a copy of the suite with a `derived/` folder and the new tests in test-cases.json) is
 * written to a temporary folder, read by the HL7 runner, and removed by `cleanup`.
 */
export interface DerivedSuite {
  /** the folder to give the runner as --tests */
  dir: string;
  /** a file listing the derived tests, for --only-list, per mode group */
  onlyList(group: 'general' | 'snomed'): string;
  /** how many cases each rule made, per mode group */
  counts: Record<'general' | 'snomed', Record<string, number>>;
  /** how many cases all rules made in a mode group */
  total(group: 'general' | 'snomed'): number;
  cleanup(): void;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Test extends Json {
  name: string;
  operation: string;
  request?: string;
  response?: string;
}
interface Suite extends Json {
  name: string;
  mode?: string;
  setup?: string[];
  tests: Test[];
}

const parse = (file: string): Json => JSON.parse(fs.readFileSync(path.join(SUITE, file), 'utf8').replace(/^\uFEFF/, ''));
/** A test file, read once: each rule reads the same requests and answers (never changed in place). */
const files = new Map<string, Json>();
const read = (file: string): Json => {
  if (!files.has(file)) files.set(file, parse(file));
  return files.get(file)!;
};
const valueOf = (p: Json): unknown => p[Object.keys(p).find((k) => k.startsWith('value'))!];
const CODING_PARAMETERS: Record<string, string> = { system: 'valueUri', version: 'valueString', code: 'valueCode', display: 'valueString' };
const CODING_PATHS = ['code', 'system', 'version', 'display'];

type Form = 'code' | 'coding' | 'codeableConcept' | 'other';
/** How a $validate-code request states its coded value, and that value with the other parameters. */
function formOf(req: Json): { form: Form; coding: Json; rest: Json[] } {
  let form: Form = 'code';
  let coding: Json = {};
  const rest: Json[] = [];
  for (const p of req.parameter ?? []) {
    const name = p.name === 'systemVersion' ? 'version' : p.name;
    if (p.name === 'coding') {
      form = 'coding';
      coding = { ...p.valueCoding };
    } else if (p.name === 'codeableConcept') {
      const cc = p.valueCodeableConcept;
      form = cc.coding?.length === 1 && !cc.text ? 'codeableConcept' : 'other';
      coding = form === 'codeableConcept' ? { ...cc.coding[0] } : { cc };
    } else if (name in CODING_PARAMETERS) coding[name] = valueOf(p);
    else rest.push(p);
  }
  return { form, coding, rest };
}

/** Every issue path of an answer mapped; undefined when a path has no counterpart. */
function mapPaths(resp: Json, map: (p: string) => string | undefined): Json | undefined {
  const out = structuredClone(resp);
  for (const p of out.parameter ?? []) {
    if (p.name !== 'issues') continue;
    for (const issue of p.resource?.issue ?? []) {
      for (const key of ['expression', 'location']) {
        if (!Array.isArray(issue[key])) continue;
        const mapped = issue[key].map(map);
        if (mapped.some((m: string | undefined) => m === undefined)) return undefined;
        issue[key] = mapped;
      }
    }
  }
  return out;
}
const issueCodes = (resp: Json): string[] => (resp.parameter ?? []).filter((p: Json) => p.name === 'issues').flatMap((p: Json) => (p.resource?.issue ?? []).map((i: Json) => i.details?.coding?.[0]?.code ?? ''));
const paramNames = (resp: Json): string[] => (resp.parameter ?? []).map((p: Json) => p.name);
/** The answer says the concept is inactive or has another status (deprecated, retired). */
const hasStatus = (resp: Json): boolean => paramNames(resp).some((n) => n === 'inactive' || n === 'status');

function codeRequest(req: Json, coding: Json, rest: Json[]): Json {
  const ps = Object.entries(coding).map(([k, v]) => (k === 'version' ? { name: 'systemVersion', valueString: v } : { name: k, [CODING_PARAMETERS[k]]: v }));
  return { ...req, parameter: [...rest, ...ps] };
}
const codingRequest = (req: Json, coding: Json, rest: Json[]): Json => ({ ...req, parameter: [...rest, { name: 'coding', valueCoding: coding }] });
const ccRequest = (req: Json, coding: Json, rest: Json[]): Json => ({ ...req, parameter: [...rest, { name: 'codeableConcept', valueCodeableConcept: { coding: [coding] } }] });

interface Derived {
  rule: string;
  request: Json;
  response: Json;
  extra?: Json;
}

/** The other forms of one $validate-code test the rules give, that the suite does not hold. */
function otherForms(t: Test, held: Set<Form>): Derived[] {
  const req = read(t.request!);
  const resp = read(t.response!);
  if (!resp.parameter) return [];
  const { form, coding, rest } = formOf(req);
  if (!coding.code || !coding.system || Object.keys(coding).some((k) => !(k in CODING_PARAMETERS))) return [];
  const out: Derived[] = [];
  const result = (resp.parameter as Json[]).find((p) => p.name === 'result')?.valueBoolean;
  const aboutMembership = issueCodes(resp).some((c) => c === 'not-in-vs' || c === 'this-code-not-in-vs');
  const toCoding = (p: string) => (CODING_PATHS.includes(p) ? `Coding.${p}` : p === 'Coding' || p.startsWith('Coding.') ? undefined : p);
  // an issue about the coding as a whole (an inactive or deprecated concept) is at 'Coding', and
  // at 'code' when the value came as a code (the suite's extensions tests); so 'code' in a code
  // form's answer may be either, and where the concept has a status that direction is not derived
  const fromCoding = (p: string) => (p.startsWith('Coding.') && CODING_PATHS.includes(p.slice(7)) ? p.slice(7) : p === 'Coding' ? 'code' : p);
  const inactive = hasStatus(resp);
  const toCc = (p: string) => (p === 'Coding' || p.startsWith('Coding.') ? `CodeableConcept.coding[0]${p.slice('Coding'.length)}` : p);
  const fromCc = (p: string) => (p.startsWith('CodeableConcept.coding[0]') ? `Coding${p.slice('CodeableConcept.coding[0]'.length)}` : p.startsWith('CodeableConcept') ? undefined : p);
  // expected answers list their parameters by name, as the runner sorts the actual ones
  const byName = (a: Json, b: Json) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const withCc = (r: Json): Json => ({ ...r, parameter: [...r.parameter, { name: 'codeableConcept', valueCodeableConcept: { coding: [coding] } }].sort(byName) });
  const withoutCc = (r: Json): Json => ({ ...r, parameter: r.parameter.filter((p: Json) => p.name !== 'codeableConcept') });
  const push = (rule: string, request: Json, response: Json | undefined) => {
    if (response) out.push({ rule, request, response });
  };
  if (form === 'code') {
    const sv = (req.parameter as Json[]).find((p) => p.name === 'systemVersion');
    if (sv) push('systemVersion as version', { ...req, parameter: (req.parameter as Json[]).map((p) => (p === sv ? { ...p, name: 'version' } : p)) }, resp);
    if (inactive) return out;
    if (!held.has('coding')) push('code as coding', codingRequest(req, coding, rest), mapPaths(resp, toCoding));
    if (!held.has('codeableConcept') && result === true) {
      const asCoding = mapPaths(resp, toCoding);
      push('code as codeableConcept', ccRequest(req, coding, rest), asCoding && mapPaths(withCc(asCoding), toCc));
    }
  } else if (form === 'coding') {
    if (!held.has('code')) push('coding as code', codeRequest(req, coding, rest), mapPaths(resp, fromCoding));
    if (!held.has('codeableConcept') && result === true) push('coding as codeableConcept', ccRequest(req, coding, rest), mapPaths(withCc(resp), toCc));
  } else if (form === 'codeableConcept' && !held.has('coding')) {
    const names = paramNames(resp);
    if (names.includes('code') && names.includes('system') && !aboutMembership) push('codeableConcept as coding', codingRequest(req, coding, rest), mapPaths(withoutCc(resp), fromCc));
  }
  return out;
}

/** A CodeSystem/$validate-code of `url`+`code` (+`version`, `display`) asked with a `coding` instead. */
function codeSystemCoding(t: Test): Derived[] {
  const req = read(t.request!);
  const resp = read(t.response!);
  if (!resp.parameter) return [];
  const coding: Json = {};
  const rest: Json[] = [];
  for (const p of req.parameter ?? []) {
    if (p.name === 'url') coding.system = valueOf(p);
    else if (p.name === 'code' || p.name === 'version' || p.name === 'display') coding[p.name] = valueOf(p);
    else if (p.name === 'coding' || p.name === 'codeableConcept' || p.name === 'system') return [];
    else rest.push(p);
  }
  // an issue about an inactive or deprecated concept is at 'code' here and at 'Coding' for a coding
  if (!coding.system || !coding.code || hasStatus(resp)) return [];
  const toCoding = (p: string) => (CODING_PATHS.includes(p) ? `Coding.${p}` : p === 'Coding' || p.startsWith('Coding.') ? undefined : p);
  const response = mapPaths(resp, toCoding);
  return response ? [{ rule: 'code system code as coding', request: { ...req, parameter: [...rest, { name: 'coding', valueCoding: coding }] }, response }] : [];
}

/** The value set's version given as `url|version` instead of `valueSetVersion`, and the other way round. */
function versionInUrl(t: Test): Derived[] {
  const req = read(t.request!);
  const params = (req.parameter ?? []) as Json[];
  const url = params.find((p) => p.name === 'url');
  const pin = params.find((p) => p.name === 'valueSetVersion');
  if (!url) return [];
  const canonical = String(valueOf(url));
  const response = read(t.response!);
  if (pin && !canonical.includes('|')) {
    const parameter = params.filter((p) => p !== pin).map((p) => (p === url ? { name: 'url', valueUri: `${canonical}|${valueOf(pin)}` } : p));
    return [{ rule: 'valueSetVersion in url', request: { ...req, parameter }, response }];
  }
  if (!pin && canonical.includes('|')) {
    const [base, version] = canonical.split('|');
    const parameter = [...params.map((p) => (p === url ? { name: 'url', valueUri: base } : p)), { name: 'valueSetVersion', valueString: version }];
    return [{ rule: 'url version as valueSetVersion', request: { ...req, parameter }, response }];
  }
  return [];
}

/** The request's parameters in the reverse order (none repeated: the order of repeats may mean something). */
function reversed(t: Test): Derived[] {
  const req = read(t.request!);
  const params = (req.parameter ?? []) as Json[];
  if (params.length < 2 || new Set(params.map((p) => p.name)).size !== params.length) return [];
  return [{ rule: 'parameters reversed', request: { ...req, parameter: [...params].reverse() }, response: read(t.response!) }];
}

/** A $lookup of `system`+`code` (+`version`) asked with a `coding` instead. */
function lookupCoding(t: Test): Derived[] {
  const req = read(t.request!);
  const coding: Json = {};
  const rest: Json[] = [];
  for (const p of req.parameter ?? []) {
    if (p.name === 'system' || p.name === 'code' || p.name === 'version') coding[p.name] = valueOf(p);
    else if (p.name === 'coding') return [];
    else rest.push(p);
  }
  if (!coding.system || !coding.code) return [];
  return [{ rule: 'lookup code as coding', request: { ...req, parameter: [...rest, { name: 'coding', valueCoding: coding }] }, response: read(t.response!) }];
}

/** The test with its value set sent inline, when `url` names exactly one value set of the setup. */
function inline(t: Test, setup: Json[]): Derived[] {
  const req = read(t.request!);
  const url = (req.parameter ?? []).find((p: Json) => p.name === 'url');
  if (!url) return [];
  const [canonical, pinned] = String(valueOf(url)).split('|');
  const version = pinned ?? (req.parameter as Json[]).find((p) => p.name === 'valueSetVersion')?.valueString;
  const matches = setup.filter((r) => r.resourceType === 'ValueSet' && r.url === canonical && (!version || r.version === version));
  if (matches.length !== 1) return [];
  const parameter = [{ name: 'valueSet', resource: matches[0] }, ...(req.parameter as Json[]).filter((p) => p.name !== 'url' && p.name !== 'valueSetVersion')];
  return [{ rule: 'url as inline valueSet', request: { ...req, parameter }, response: read(t.response!) }];
}

/** The test with its displayLanguage parameter sent as the Accept-Language header instead. */
function asHeader(t: Test): Derived[] {
  if (t['Accept-Language'] || t.header) return [];
  const req = read(t.request!);
  const lang = (req.parameter ?? []).find((p: Json) => p.name === 'displayLanguage');
  if (!lang) return [];
  const parameter = (req.parameter as Json[]).filter((p) => p !== lang);
  return [{ rule: 'displayLanguage as Accept-Language', request: { ...req, parameter }, response: read(t.response!), extra: { 'Accept-Language': valueOf(lang) } }];
}

export function deriveSuite(): DerivedSuite {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-derived-'));
  fs.cpSync(SUITE, dir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'derived'));
  // the list of tests is extended with the derived ones: a copy of its own
  const cases = parse('test-cases.json') as { suites: Suite[] };
  const messagesFile = path.join(SUITE, 'messages-tx.fhir.org.json');
  const messages: Json = fs.existsSync(messagesFile) ? parse('messages-tx.fhir.org.json') : {};
  const lists: Record<'general' | 'snomed', string[]> = { general: [], snomed: [] };
  const counts: DerivedSuite['counts'] = { general: {}, snomed: {} };
  for (const suite of cases.suites) {
    const group = suite.mode === 'snomed' ? 'snomed' : !suite.mode || suite.mode === 'general' ? 'general' : undefined;
    if (!group) continue;
    const setup = (suite.setup ?? []).filter((f) => fs.existsSync(path.join(SUITE, f))).map(read);
    // the forms the suite holds of each request (same value, same other parameters and settings)
    const heldForms = new Map<string, Set<Form>>();
    const keyOf = (t: Test) => {
      const { coding, rest } = formOf(read(t.request!));
      const settings = Object.fromEntries(Object.entries(t).filter(([k]) => !['name', 'description', 'request', 'response', 'explanation'].includes(k)));
      return JSON.stringify([Object.entries(coding).sort(), rest.map((p) => JSON.stringify(p)).sort(), settings]);
    };
    const validations = suite.tests.filter((t) => t.operation === 'validate-code' && t.request && t.response);
    for (const t of validations) {
      const key = keyOf(t);
      if (!heldForms.has(key)) heldForms.set(key, new Set());
      heldForms.get(key)!.add(formOf(read(t.request!)).form);
    }
    for (const t of [...suite.tests]) {
      // a test of one mode only (tx.fhir.org's own behaviour) is not a rule to derive from
      if (t.mode || !t.request || !t.response || !/^(expand|validate-code|cs-validate-code|lookup)$/.test(t.operation) || /\$/.test(t.request + t.response)) continue;
      const derived = [
        ...(t.operation === 'validate-code' ? otherForms(t, heldForms.get(keyOf(t))!) : []),
        ...(t.operation === 'cs-validate-code' ? codeSystemCoding(t) : []),
        ...(t.operation === 'lookup' ? lookupCoding(t) : []),
        ...(t.operation === 'expand' || t.operation === 'validate-code' ? versionInUrl(t) : []),
        ...(t.operation === 'expand' || t.operation === 'validate-code' ? inline(t, setup) : []),
        ...asHeader(t),
        ...reversed(t),
      ];
      derived.forEach((d, i) => {
        const name = `${t.name}--derived-${i + 1}`;
        const request = `derived/${suite.name}-${name}-request.json`;
        const response = `derived/${suite.name}-${name}-response.json`;
        fs.writeFileSync(path.join(dir, request), JSON.stringify(d.request, null, 2));
        fs.writeFileSync(path.join(dir, response), JSON.stringify(d.response, null, 2));
        if (messages[t.response!]) messages[response] = messages[t.response!];
        suite.tests.push({ ...t, ...d.extra, name, description: `${d.rule}: ${t.name}`, request, response });
        lists[group].push(`${suite.name}/${name}`);
        counts[group][d.rule] = (counts[group][d.rule] ?? 0) + 1;
      });
    }
  }
  fs.writeFileSync(path.join(dir, 'test-cases.json'), JSON.stringify(cases, null, 2));
  fs.writeFileSync(path.join(dir, 'messages-tx.fhir.org.json'), JSON.stringify(messages, null, 2));
  return {
    dir,
    counts,
    onlyList(group) {
      const file = path.join(dir, `derived-${group}.txt`);
      fs.writeFileSync(file, lists[group].join('\n') + '\n');
      return file;
    },
    total: (group) => lists[group].length,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
