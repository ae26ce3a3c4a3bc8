import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Bundle, OperationOutcome, Parameters, Resource } from 'fhir/r4';
import { startTestServer } from '../../helpers/server';
import { Kit, connectKit } from './kit';

export const TX_ISSUE_TYPE = 'http://hl7.org/fhir/tools/CodeSystem/tx-issue-type';

/** A running server with a fhir-kit-client that sends the API token. */
export interface Kodverk {
  fhirBase: string;
  token?: string;
  /** fhir-kit-client with the server's token (when it has one). */
  kit: Kit;
  /** fhir-kit-client without any token. */
  anonymous: Kit;
  close(): Promise<void>;
}

/**
 * Starts the real server (ephemeral port, fresh SQLite file, no FHIR core, empty content pack)
 * with an API token unless `apiToken: undefined` is passed.
 */
export async function startKodverk(overrides: Record<string, unknown> = {}): Promise<Kodverk> {
  const content = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-content-'));
  const token = 'apiToken' in overrides ? (overrides.apiToken as string | undefined) : `token-${randomUUID()}`;
  const server = await startTestServer({ loadFhirCore: false, contentPackDir: content, ...overrides, apiToken: token });
  const kit = connectKit({ baseUrl: server.fhirBase, bearerToken: token });
  const anonymous = connectKit({ baseUrl: server.fhirBase });
  return {
    fhirBase: server.fhirBase,
    token,
    kit,
    anonymous,
    close: async () => {
      await Promise.all([kit.close(), anonymous.close()]);
      await server.close();
      fs.rmSync(content, { recursive: true, force: true });
    },
  };
}

/** A raw HTTP answer (for what fhir-kit-client cannot send). */
export interface RawAnswer {
  status: number;
  contentType: string | null;
  headers: Headers;
  text: string;
  json: any;
}

/** Sends a request with fetch; `path` is relative to the FHIR base. */
export async function raw(server: Kodverk, relative: string, init: RequestInit = {}): Promise<RawAnswer> {
  const res = await fetch(`${server.fhirBase}/${relative.replace(/^\//, '')}`, init);
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type'), headers: res.headers, text, json };
}

/** The tx-issue-type codes of an OperationOutcome's issues. */
export function txTypes(outcome: OperationOutcome): string[] {
  expect(outcome.resourceType).toBe('OperationOutcome');
  return outcome.issue.flatMap((i) => (i.details?.coding ?? []).filter((c) => c.system === TX_ISSUE_TYPE).map((c) => c.code as string));
}

/** A unique canonical URL, so tests do not see each other's resources. */
export function uniqueUrl(kind: string): string {
  return `http://example.org/fhir/${kind}/${randomUUID()}`;
}

/** Stores resources (with their ids) through the API, one PUT each. */
export async function seed(server: Kodverk, resources: Resource[]): Promise<void> {
  for (const r of resources) await server.kit.update({ resourceType: r.resourceType, id: r.id!, body: r as any });
}

/** The ids of a search Bundle's resources, sorted. */
export function ids(b: Bundle): string[] {
  return (b.entry ?? []).map((e) => e.resource!.id!).sort();
}

/** A named parameter of an operation's answer. */
export function param(p: Parameters, name: string) {
  return p.parameter?.find((x) => x.name === name);
}
