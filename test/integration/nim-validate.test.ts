import fs from 'node:fs';
import http from 'node:http';
import { Kodverk, TX_ISSUE_TYPE, startKodverk } from './support/server';
import { CLEAN_ROWS, OVERRIDE, PLANTED_FINDINGS, PNR, UTFALL_2027, codeSystem, contentPackWithFixtures, csvFile, findingsOf, planted, row } from '../unit/nim-validation-fixture';

/**
 * Validation over HTTP on the real server (ephemeral port, real SQLite file, the content pack
 * with the tx-free fixtures, the NIM seed): releases set up through the API as a publisher
 * would, then POST /validate/record and POST /validate/submission as a vendor would, with the
 * server's log captured to show that nothing personal reaches it.
 */

const MAX_BODY = 256 * 1024;
let server: Kodverk;
let pack: string;
let root: string;
const logged: string[] = [];
const originalWrite = process.stdout.write;

interface Answer {
  status: number;
  type: string | null;
  text: string;
  json: any;
}

async function send(method: string, relative: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${root}/${relative}`, { method, headers, body: Buffer.isBuffer(body) ? new Uint8Array(body) : body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type'), text, json };
}

const authorised = () => ({ Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' });
const post = (relative: string, body: unknown) => send('POST', relative, JSON.stringify(body), authorised());
const record = (body: unknown) => send('POST', 'validate/record', JSON.stringify(body), { 'Content-Type': 'application/json' });
const submit = (text: string | Buffer, type = 'text/csv; charset=utf-8', query = '') => send('POST', `validate/submission${query}`, text, { 'Content-Type': type });
const txType = (issue: any) => issue.details.coding?.find((c: any) => c.system === TX_ISSUE_TYPE)?.code;
const said = (a: Answer) => a.json.issue.map((i: any) => i.details.text).join(' ');

beforeAll(async () => {
  // pino writes to process.stdout.write once it is replaced: every log line of the server is kept
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    logged.push(String(chunk));
    (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
    return true;
  }) as typeof process.stdout.write;
  pack = contentPackWithFixtures();
  server = await startKodverk({ contentPackDir: pack, maxBodyBytes: MAX_BODY, logLevel: 'trace' });
  root = server.fhirBase.replace(/\/fhir$/, '');
  // the publisher's side: 1.1.0 in force from 2026-07-01; 1.2.0 (beslut utfall gains 'avvisad') from 2027-07-01
  expect((await post('releases/1.1.0/status', { status: 'faststalld', effectiveFrom: '2026-07-01', overrideLeadTime: OVERRIDE })).status).toBe(200);
  await server.kit.update({ resourceType: 'CodeSystem', id: UTFALL_2027.codeSystem.id!, body: UTFALL_2027.codeSystem as any });
  await server.kit.update({ resourceType: 'ValueSet', id: UTFALL_2027.valueSet.id!, body: UTFALL_2027.valueSet as any });
  expect((await post('nim/models/myndighetsbeslut/versions', {})).status).toBe(201);
  expect((await post('releases', { version: '1.2.0', title: 'Beslut utfall 2027' })).status).toBe(201);
  expect((await post('releases/1.2.0/status', { status: 'paseende' })).status).toBe(200);
  expect((await post('releases/1.2.0/status', { status: 'faststalld', effectiveFrom: '2027-07-01', overrideLeadTime: OVERRIDE })).status).toBe(200);
});

afterAll(async () => {
  await server.close();
  process.stdout.write = originalWrite;
  fs.rmSync(pack, { recursive: true, force: true });
});

describe('POST /validate/record', () => {
  const beslut = (datum: string, extra: Record<string, unknown> = {}) => ({ nim: 'https://kodverk.se/fhir/StructureDefinition/nim-myndighetsbeslut', record: { datum, utfall: 'avvisad', lagrum: ['SoL2025-12:1'] }, ...extra });

  it('judges a record by the release in force on its event date', async () => {
    const before = await record(beslut('2026-08-01'));
    expect(before.status).toBe(200);
    expect(before.type).toMatch(/application\/fhir\+json/);
    expect(before.json.issue[0]).toMatchObject({ severity: 'information', details: { text: 'Validated against NIM Myndighetsbeslut 1.0.0 in release 1.1.0 (faststalld, in force 2026-07-01)' } });
    expect(before.json.issue[1]).toMatchObject({ severity: 'error', code: 'code-invalid', expression: ['Myndighetsbeslut.utfall'] });
    expect(txType(before.json.issue[1])).toBe('invalid-code');
    const after = await record(beslut('2027-08-01'));
    expect(after.json.issue).toHaveLength(1);
    expect(said(after)).toMatch(/release 1\.2\.0/);
  });

  it('judges a record by the release named, whatever its date', async () => {
    expect((await record(beslut('2027-08-01', { release: '1.1.0' }))).json.issue.map((i: any) => i.severity)).toEqual(['information', 'error']);
    expect((await record(beslut('2026-08-01', { release: '1.2.0' }))).json.issue.map((i: any) => i.severity)).toEqual(['information']);
  });

  it('applies context bindings: aktualiseringsorsak by aktualiseringstyp and sakområde', async () => {
    const arende = (orsak: string) => record({ nim: 'aktualisera-arende', record: { typ: 'anmalan', sakomrade: 'barn-och-unga', orsak: [orsak], datum: '2026-10-01' } });
    expect((await arende('vald-i-nara-relation')).json.issue).toHaveLength(1);
    const wrong = (await arende('arbetsloshet')).json.issue[1];
    expect(wrong).toMatchObject({ severity: 'error', expression: ['AktualiseraArende.orsak[0]'] });
    expect(txType(wrong)).toBe('not-in-vs');
    expect(wrong.details.text).toMatch(/aktualiseringsorsak-barn-och-unga-anmalan\|0\.9\.0, which applies when typ = anmalan and sakomrade = barn-och-unga/);
  });

  it('refuses what is not a validation request, with an OperationOutcome', async () => {
    const broken = await send('POST', 'validate/record', '{"nim": ', { 'Content-Type': 'application/json' });
    expect(broken.status).toBe(400);
    expect(said(broken)).toMatch(/not valid JSON/);
    expect((await record({ record: {} })).status).toBe(400);
    expect((await record({ nim: 'insats', record: {}, date: '1 maj' })).status).toBe(400);
    expect((await send('POST', 'validate/record', 'nim=insats', { 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await record({ nim: 'https://kodverk.se/fhir/StructureDefinition/nim-finns-inte', record: {} })).status).toBe(404);
    expect((await record({ nim: 'insats', release: '7.0.0', record: {} })).status).toBe(404);
    const get = await send('GET', 'validate/record');
    expect(get.status).toBe(405);
    expect(get.json.resourceType).toBe('OperationOutcome');
  });
});

describe('POST /validate/submission', () => {
  it('yields exactly the planted errors on their rows, and nothing for a clean file', async () => {
    const bad = await submit(planted());
    expect(bad.status).toBe(200);
    expect(bad.type).toMatch(/application\/json/);
    expect(findingsOf(bad.json)).toEqual(PLANTED_FINDINGS);
    expect(bad.json.summary).toMatchObject({ rows: 8, rowsWithErrors: 5, valid: false, complete: true });
    expect(bad.json.counts.bySeverity).toEqual({ error: 5, warning: 0, information: 0 });
    const clean = await submit(csvFile(CLEAN_ROWS));
    expect(clean.json.rows).toEqual([]);
    expect(clean.json.summary).toMatchObject({ rows: 3, rowsWithErrors: 0, valid: true });
  });

  it('judges rows by their event dates, or all by the release asked for', async () => {
    const file = csvFile([row({ 6: 'avvisad' }), row({ 5: '2027-08-01', 6: 'avvisad' })]);
    expect(findingsOf((await submit(file)).json)).toEqual([[1, 'error', 'unknown-code', 'Myndighetsbeslut.utfall', 7]]);
    const fixed = await submit(file, 'text/csv', '?release=1.2.0');
    expect(fixed.json).toMatchObject({ release: '1.2.0', rows: [], summary: { valid: true } });
  });

  it('takes NDJSON', async () => {
    const lines = [{ 'Brukare.kön': 'man', 'Beslut.datum': '2026-08-01', 'Beslut.utfall': 'beviljad', 'Beslut.lagrum': 'LSS-9:2' }, { 'Brukare.kön': 'okänt', 'Beslut.datum': '2026-08-01', 'Beslut.utfall': 'beviljad', 'Beslut.lagrum': ['LSS-9:2', 'LSS-9:3'] }];
    const answer = await submit(lines.map((l) => JSON.stringify(l)).join('\n'), 'application/x-ndjson');
    expect(findingsOf(answer.json)).toEqual([[2, 'error', 'unknown-code', 'Brukare.kon', undefined]]);
  });

  it('refuses a malformed file with a clear message: 400, 413, 415', async () => {
    const header = await submit('Brukare.kön;Insats.färg\nman;blå\n');
    expect(header.status).toBe(400);
    expect(header.json.resourceType).toBe('OperationOutcome');
    expect(said(header)).toBe("The header row is not NIM.attribute names: 'Insats.färg' names no attribute of NIM Insats");
    expect(said(await submit('Brukare.kön,Insats.typ\nman,hemtjanst\n'))).toMatch(/semicolon-separated/);
    expect((await submit('')).status).toBe(400);
    expect((await submit(planted(), 'text/csv', '?release=7.0.0')).status).toBe(404);
    const tooLarge = await submit(csvFile(Array.from({ length: 3000 }, () => row())));
    expect(tooLarge.status).toBe(413);
    expect(said(tooLarge)).toMatch(/larger than this server accepts \(262144 bytes\)/);
    const excel = await submit(Buffer.from('PK\u0003\u0004'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(excel.status).toBe(415);
    expect(said(excel)).toMatch(/text\/csv .* or application\/x-ndjson/);
    expect((await submit(planted(), 'text/csv; charset=windows-1252')).status).toBe(415);
  });

  it('ends the report with a fatal entry when a streamed upload passes the limit half-way', async () => {
    const answer: { status: number; text: string } = await new Promise((resolve, reject) => {
      const req = http.request(`${root}/validate/submission`, { method: 'POST', headers: { 'Content-Type': 'text/csv', 'Transfer-Encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.write(csvFile([row({ 1: 'x' })]));
      const more = `${row()}\n`.repeat(200);
      let sent = 0;
      const pump = () => {
        while (sent < MAX_BODY * 2) {
          sent += more.length;
          if (!req.write(more)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(answer.status).toBe(200);
    const report = JSON.parse(answer.text);
    expect(report.summary.complete).toBe(false);
    expect(report.fatal.text).toMatch(/larger than this server accepts/);
    expect(report.rows[0].row).toBe(1);
  });

  it('never echoes or logs a personal identity number planted in any cell', async () => {
    const file = csvFile([row({ 1: PNR, 2: PNR, 4: PNR, 5: PNR, 6: `${PNR}|${PNR}`, 7: PNR, 10: PNR, 11: PNR }), row({ 0: `${PNR} Anna Andersson` })]);
    const answers = [
      await submit(file),
      await submit(JSON.stringify({ 'Brukare.kön': PNR, 'Beslut.datum': PNR, [PNR]: PNR }) + '\n' + `{"Brukare.kön": "${PNR}`, 'application/x-ndjson'),
      await record({ nim: 'brukare', date: '2026-08-01', record: { personId: PNR, kon: PNR, fornamn: 'Anna', efternamn: 'Andersson', [PNR]: PNR } }),
      await submit(`Brukare.kön;${PNR}\nman;x\n`),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 400]);
    expect(answers[0].json.summary.rowsWithErrors).toBe(1);
    for (const a of answers) {
      expect(a.text).not.toContain('1212');
      expect(a.text).not.toContain('Andersson');
    }
    // request ids are random hex and may hold "1212" by chance: they are not what is looked for
    const log = logged.join('').replace(/"reqId":"[0-9a-f-]+"/g, '"reqId":"…"');
    expect(log).toMatch(/"path":"\/validate\/submission","status":200/);
    expect(log).not.toContain('1212');
    expect(log).not.toContain('Andersson');
  });
});

describe('the vendor contract', () => {
  it('describes both endpoints in OpenAPI', async () => {
    const spec = (await send('GET', 'openapi.json')).json;
    expect(spec.paths['/validate/record'].post.requestBody.content['application/json']).toBeDefined();
    expect(Object.keys(spec.paths['/validate/submission'].post.requestBody.content)).toEqual(['text/csv', 'application/x-ndjson']);
    expect(spec.paths['/validate/submission'].post.parameters[0].name).toBe('release');
    // which codes an attribute takes, by FHIR's context: the release in force decides
    for (const op of ['$expand', '$validate-code']) expect(spec.paths[`/fhir/ValueSet/${op}`].get.parameters.slice(0, 2).map((p: any) => p.name)).toEqual(['context', 'date']);
  });
});

// FHIR R4's `context` of $expand and $validate-code: "[Structure Definition URL]#[name or path
// into structure definition]". For a NIM attribute the value set is the one the release in force
// on the day binds it to, so a vendor's client and /validate/record give the same answer.
describe('the context of $expand and $validate-code: a NIM attribute', () => {
  const BESLUT = 'https://kodverk.se/fhir/StructureDefinition/nim-myndighetsbeslut';
  const UTFALL = 'https://kodverk.se/fhir/CodeSystem/beslut-utfall';
  const operation = (op: string, query: Record<string, string>) => send('GET', `fhir/ValueSet/$${op}?${new URLSearchParams(query)}`);
  const expand = (context: string, query: Record<string, string> = {}) => operation('expand', { context, ...query });
  const codes = (a: Answer) => a.json.expansion.contains.map((c: any) => c.code).sort();
  const today = new Date().toISOString().slice(0, 10);

  it('expands the value set the release in force on the day binds, as /validate/record judges it', async () => {
    const in2026 = await expand(`${BESLUT}#utfall`, { date: '2026-08-01' });
    const in2027 = await expand(`${BESLUT}#utfall`, { date: '2027-08-01T12:00:00+02:00' });
    expect([in2026.status, in2027.status]).toEqual([200, 200]);
    // 1.1.0 (in force 2026-07-01) bound the floating binding to the version before 'avvisad'; 1.2.0 to 2027.1
    expect(in2027.json).toMatchObject({ url: 'https://kodverk.se/fhir/ValueSet/beslut-utfall', version: '2027.1' });
    expect(in2026.json.version).not.toBe('2027.1');
    expect(codes(in2026)).not.toContain('avvisad');
    expect(codes(in2027)).toEqual([...codes(in2026), 'avvisad'].sort());
    // the expansion records where its value set was named, among the parameters that controlled it
    expect(in2026.json.expansion.parameter).toContainEqual({ name: 'context', valueUri: `${BESLUT}#utfall` });
    // it is the value set of that version, named by url: the same expansion apart from the echo
    const byUrl = await operation('expand', { url: 'https://kodverk.se/fhir/ValueSet/beslut-utfall', valueSetVersion: in2026.json.version });
    expect(byUrl.json.expansion.contains).toEqual(in2026.json.expansion.contains);
    // without a date: the release in force today
    expect((await expand(`${BESLUT}#utfall`)).json.expansion.contains).toEqual((await expand(`${BESLUT}#utfall`, { date: today })).json.expansion.contains);
  });

  it('validates a code against it: avvisad is refused in 2026 and taken in 2027, as for a record', async () => {
    const validate = (date: string) => operation('validate-code', { context: `${BESLUT}#Myndighetsbeslut.utfall`, system: UTFALL, code: 'avvisad', date });
    const [in2026, in2027] = [await validate('2026-08-01'), await validate('2027-08-01')];
    const result = (a: Answer) => a.json.parameter.find((p: any) => p.name === 'result').valueBoolean;
    expect([in2026.status, result(in2026), in2027.status, result(in2027)]).toEqual([200, false, 200, true]);
    const asRecord = await record({ nim: BESLUT, record: { datum: '2026-08-01', utfall: 'avvisad', lagrum: ['SoL2025-12:1'] } });
    expect(asRecord.json.issue.some((i: any) => i.severity === 'error' && i.expression?.[0] === 'Myndighetsbeslut.utfall')).toBe(true);
  });

  it('names the value set of each validation of a $batch-validate-code, a refused one answered in its place', async () => {
    const coding = (code: string) => ({ name: 'coding', valueCoding: { system: UTFALL, code } });
    const validation = (...parameter: object[]) => ({ name: 'validation', resource: { resourceType: 'Parameters', parameter } });
    const body = {
      resourceType: 'Parameters',
      parameter: [
        // beside the validations: every one that names no value set of its own
        { name: 'context', valueUri: `${BESLUT}#utfall` },
        { name: 'date', valueDateTime: '2027-08-01' },
        validation(coding('avvisad')),
        validation({ name: 'context', valueUri: `${BESLUT}#utfall` }, { name: 'date', valueDate: '2026-08-01' }, coding('avvisad')),
        validation({ name: 'context', valueUri: `${BESLUT}#inget` }, coding('avvisad')),
        validation({ name: 'url', valueUri: 'https://kodverk.se/fhir/ValueSet/beslut-utfall' }, coding('avvisad')),
      ],
    };
    const a = await send('POST', 'fhir/ValueSet/$batch-validate-code', JSON.stringify(body), { 'Content-Type': 'application/fhir+json' });
    expect(a.status).toBe(200);
    const answers = a.json.parameter.map((p: any) => (p.resource.resourceType === 'OperationOutcome' ? p.resource.issue[0].details.text : p.resource.parameter.find((x: any) => x.name === 'result').valueBoolean));
    // its own url names the latest version (2027.1), never the one the shared context's release bound
    expect(answers).toEqual([true, false, expect.stringMatching(/'inget' is not an attribute of NIM Myndighetsbeslut/), true]);
  });

  it("gives the release's codes when a code system gained a version since: those a record is judged by", async () => {
    const in2027 = await expand(`${BESLUT}#utfall`, { date: '2027-08-01' });
    // beslut-utfall 2027.1 (a whole code system) was bound with the code system as it was then; a 2028 version adds 'hanvisad'
    const cs2028 = codeSystem('beslut-utfall', '2028.1', ['beviljad', 'delvis-beviljad', 'avslag', 'avvisad', 'hanvisad'].map((code) => ({ code, display: code })), { id: 'beslut-utfall-2028' });
    await server.kit.update({ resourceType: 'CodeSystem', id: cs2028.id!, body: cs2028 as any });
    const byUrl = await operation('expand', { url: 'https://kodverk.se/fhir/ValueSet/beslut-utfall', valueSetVersion: '2027.1' });
    expect(codes(byUrl)).toContain('hanvisad');
    const after = await expand(`${BESLUT}#utfall`, { date: '2027-08-01' });
    expect(codes(after)).toEqual(codes(in2027));
    expect(codes(after)).not.toContain('hanvisad');
    expect(after.json.expansion.parameter).toContainEqual({ name: 'system-version', valueUri: `${UTFALL}|2027.1` });
    const validated = await operation('validate-code', { context: `${BESLUT}#utfall`, date: '2027-08-01', system: UTFALL, code: 'hanvisad' });
    expect(validated.json.parameter.find((p: any) => p.name === 'result').valueBoolean).toBe(false);
    const asRecord = await record({ nim: BESLUT, record: { datum: '2027-08-01', utfall: 'hanvisad', lagrum: ['SoL2025-12:1'] } });
    expect(asRecord.json.issue.some((i: any) => i.severity === 'error' && i.expression?.[0] === 'Myndighetsbeslut.utfall')).toBe(true);
    // a version the call names wins over the release's
    const named = await expand(`${BESLUT}#utfall`, { date: '2027-08-01', 'force-system-version': `${UTFALL}|2028.1` });
    expect(codes(named)).toContain('hanvisad');
  });

  it('names the attribute by its id, its path or its Swedish name', async () => {
    const names = ['utfall', 'Myndighetsbeslut.utfall', 'Utfall'];
    const answers = await Promise.all(names.map((n) => expand(`${BESLUT}#${n}`, { date: '2026-08-01' })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    for (const a of answers) expect(a.json.expansion.contains).toEqual(answers[0].json.expansion.contains);
  });

  it('refuses what names no binding in force, saying why (422 not-found), and a malformed context (400)', async () => {
    const refused = async (context: string, query: Record<string, string> = {}) => {
      const a = await expand(context, query);
      return [a.status, a.json.resourceType, a.json.issue[0].code, txType(a.json.issue[0]), a.json.issue[0].expression, a.json.issue[0].details.text];
    };
    const notFound = (text: RegExp) => [422, 'OperationOutcome', 'not-found', 'not-found', ['context'], expect.stringMatching(text)];
    const invalid = (text: RegExp) => [400, 'OperationOutcome', 'invalid', 'invalid-data', ['context'], expect.stringMatching(text)];
    expect(await refused(`${BESLUT}#utfall`, { date: '2025-11-30' })).toEqual(notFound(/No adopted release is in force on 2025-11-30/));
    expect(await refused(`${BESLUT}#utfall`, { date: '2026-06-30' })).toEqual(notFound(/Release 1.0.0, in force on 2026-06-30, does not hold NIM/));
    expect(await refused(`${BESLUT}#datum`, { date: '2026-08-01' })).toEqual(notFound(/Myndighetsbeslut.datum .* has no terminology binding: its datatype is date/));
    expect(await refused(`${BESLUT}#Datum för beslut`, { date: '2026-08-01' })).toEqual(notFound(/Myndighetsbeslut.datum .* has no terminology binding/));
    expect(await refused(`${BESLUT}#inget`, { date: '2026-08-01' })).toEqual(notFound(/'inget' is not an attribute of NIM Myndighetsbeslut 1.0.0 \(release 1.1.0\)/));
    expect(await refused('https://kodverk.se/fhir/StructureDefinition/nim-inget#typ')).toEqual(notFound(/No NIM/));
    expect(await refused('http://hl7.org/fhir/StructureDefinition/Patient#Patient.gender')).toEqual(notFound(/bindings of NIM attributes/));
    expect(await refused(BESLUT)).toEqual(invalid(/\[StructureDefinition URL\]#\[attribute\]/));
    expect(await refused(`${BESLUT}|1.0.0#utfall`)).toEqual(invalid(/without a version/));
    expect(await refused(`${BESLUT}#utfall`, { date: '2026-08' })).toEqual(invalid(/a full date/));
    expect(await refused(`${BESLUT}#utfall`, { url: 'https://kodverk.se/fhir/ValueSet/beslut-utfall' })).toEqual(invalid(/Name the value set once/));
    expect(await refused(`${BESLUT}#utfall`, { valueSetVersion: '2027.1' })).toEqual(invalid(/valueSetVersion/));
  });

  it('takes R4 contextDirection with a context: incoming and outgoing name the one bound value set, echoed; anything else is refused', async () => {
    const plain = await expand(`${BESLUT}#utfall`, { date: '2027-08-01' });
    for (const contextDirection of ['incoming', 'outgoing']) {
      const a = await expand(`${BESLUT}#utfall`, { date: '2027-08-01', contextDirection });
      expect(a.status).toBe(200);
      expect(a.json.expansion.contains).toEqual(plain.json.expansion.contains);
      expect(a.json.expansion.parameter).toContainEqual({ name: 'contextDirection', valueCode: contextDirection });
    }
    const sideways = await expand(`${BESLUT}#utfall`, { contextDirection: 'sideways' });
    expect([sideways.status, sideways.json.issue[0].details.text]).toEqual([400, "'contextDirection' is incoming or outgoing, not 'sideways'"]);
    const alone = await operation('expand', { url: 'https://kodverk.se/fhir/ValueSet/beslut-utfall', contextDirection: 'incoming' });
    expect([alone.status, alone.json.issue[0].details.text]).toEqual([400, "'contextDirection' qualifies 'context': give it with a context, or leave it out"]);
    // and TerminologyCapabilities says so, beside context
    const caps = await send('GET', 'fhir/metadata?mode=terminology');
    expect(caps.json.expansion.parameter.map((p: any) => p.name)).toEqual(expect.arrayContaining(['context', 'contextDirection']));
  });
});
