import type { AuditEvent, Coding } from 'fhir/r4';
import type { Db } from '../store/database';
import { AuditColumns, AuditQuery, AuditRow, AuditStore, GENESIS_HASH, chainHash } from '../store/audit-store';
import { API_KEY_SYSTEM } from './api-keys';
import type { Identity } from './identity';

/**
 * The audit trail: every write to the server, accepted or refused, as a FHIR R4 AuditEvent in an
 * append-only, hash-chained table. An entry says who (key name or token subject, and role), what
 * (resource type/id/version, release, key), which action, the outcome, when and from which
 * address; never a request body, a query string or anything a person could be identified by.
 */

export const REST_TYPE: Coding = { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' };
export const OPERATOR_TYPE: Coding = { system: 'https://kodverk.se/fhir/CodeSystem/audit-event-type', code: 'operator', display: 'Operator action on the store file (kodverk CLI)' };
export const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
export const KODVERK_ACTION = 'https://kodverk.se/fhir/CodeSystem/audit-action';
export const ROLE_SYSTEM = 'https://kodverk.se/fhir/CodeSystem/role';
export const RELEASE_SYSTEM = 'https://kodverk.se/fhir/sid/nim-release';
export const IMPORT_SYSTEM = 'https://kodverk.se/fhir/sid/import';

/** The actions that are not FHIR RESTful interactions (AuditEvent.subtype, system KODVERK_ACTION). */
export const KODVERK_ACTIONS = {
  'nim-create': 'NIM created',
  'nim-new-version': 'NIM version started',
  'nim-update': 'NIM version changed',
  'nim-delete': 'NIM version deleted',
  'release-create': 'Release created',
  'release-update': 'Release changed',
  'release-delete': 'Release deleted',
  'release-status': 'Release lifecycle step',
  'lead-time-override': 'Release adopted with less than the lead time',
  'release-comment': 'Comment on a release',
  'release-import': 'Release package imported',
  'release-refresh': 'Release content refreshed',
  'import': 'Code system release imported',
  'api-key-create': 'API key created',
  'api-key-revoke': 'API key revoked',
  write: 'Write to an address that takes none',
} as const;
export type KodverkAction = keyof typeof KODVERK_ACTIONS;

export function kodverkAction(code: KodverkAction): Coding {
  return { system: KODVERK_ACTION, code, display: KODVERK_ACTIONS[code] };
}

export function restfulInteraction(code: 'create' | 'update' | 'delete'): Coding {
  return { system: RESTFUL_INTERACTION, code };
}

/** Identifier systems of entities that are not FHIR resources, and their prefix in `entity` searches. */
const ENTITY_PREFIX: Record<string, string> = { [RELEASE_SYSTEM]: 'release', [API_KEY_SYSTEM]: 'api-key', [IMPORT_SYSTEM]: 'import' };

/** AuditEvent.action: Create, Read, Update, Delete, Execute. */
export type AuditAction = 'C' | 'R' | 'U' | 'D' | 'E';
/** AuditEvent.outcome: success, minor failure (refused), serious failure (failed), major failure. */
export type AuditOutcome = '0' | '4' | '8' | '12';

/** What was acted on: a FHIR resource (reference) or a release, key or import (identifier). */
export interface AuditEntity {
  reference?: string;
  identifier?: { system: string; value: string };
  /** a short label (a release version, a key's name), never content */
  display?: string;
  /** facts about the action that are not content: a release's new status, a file's hash */
  detail?: { type: string; value: string }[];
}

export interface AuditEntry {
  /** an HTTP request, or the CLI on the store file */
  via: 'rest' | 'operator';
  subtype: Coding;
  action: AuditAction;
  outcome: AuditOutcome;
  outcomeDesc?: string;
  agent: Identity;
  /** the client's network address (HTTP) */
  address?: string;
  entity?: AuditEntity;
  recorded?: Date;
}

export function auditEvent(e: AuditEntry): AuditEvent {
  const who = e.agent;
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    type: e.via === 'rest' ? REST_TYPE : OPERATOR_TYPE,
    subtype: [e.subtype],
    action: e.action,
    recorded: (e.recorded ?? new Date()).toISOString(),
    outcome: e.outcome,
    ...(e.outcomeDesc ? { outcomeDesc: e.outcomeDesc } : {}),
    agent: [
      {
        who: { identifier: { ...(who.system ? { system: who.system } : {}), value: who.id }, display: who.name },
        ...(who.roles.length ? { role: who.roles.map((r) => ({ coding: [{ system: ROLE_SYSTEM, code: r }] })) } : {}),
        requestor: true,
        ...(e.address ? { network: { address: e.address, type: '2' as const } } : {}),
      },
    ],
    source: { observer: { display: 'Kodverk' }, type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }] },
  };
  if (e.entity) {
    const x = e.entity;
    event.entity = [
      {
        what: { ...(x.reference ? { reference: x.reference } : {}), ...(x.identifier ? { identifier: x.identifier } : {}), ...(x.display ? { display: x.display } : {}) },
        type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
        ...(x.detail?.length ? { detail: x.detail.map((d) => ({ type: d.type, valueString: d.value })) } : {}),
      },
    ];
  }
  return event;
}

const token = (c: Coding | undefined) => `${c?.system ?? ''}|${c?.code ?? ''}`;

/** The search columns of an AuditEvent (computed again when the chain is verified). */
export function columnsOf(event: AuditEvent): AuditColumns {
  const who = event.agent?.[0]?.who;
  const what = event.entity?.[0]?.what;
  let entity: string | undefined;
  if (what?.reference) entity = what.reference.replace(/\/_history\/.*$/, '');
  else if (what?.identifier?.value) entity = `${ENTITY_PREFIX[what.identifier.system ?? ''] ?? 'other'}/${what.identifier.value}`;
  return {
    recorded: event.recorded,
    type: token(event.type),
    subtype: token(event.subtype?.[0]),
    action: event.action ?? '',
    outcome: event.outcome ?? '',
    agent: who?.identifier?.value ?? '',
    agentName: who?.display ?? '',
    entity,
  };
}

/** The stored AuditEvent with its id (the record's sequence number). */
export function eventOf(row: AuditRow): AuditEvent {
  return JSON.parse(row.json) as AuditEvent;
}

export interface ChainReport {
  records: number;
  /** the first record that does not hold, and why */
  firstBroken?: { seq: number; reason: string };
  /** the triggers that keep the table append-only (two when intact) */
  guards: string[];
  /** hash of the last record: write it down elsewhere to notice a cut-off tail later */
  head: string;
}

const SAME_COLUMNS: (keyof AuditColumns)[] = ['recorded', 'type', 'subtype', 'action', 'outcome', 'agent', 'agentName', 'entity'];

export class AuditTrail {
  readonly store: AuditStore;

  constructor(db: Db) {
    this.store = new AuditStore(db);
  }

  record(entry: AuditEntry): AuditEvent {
    const event = auditEvent(entry);
    const { resourceType, ...rest } = event;
    const row = this.store.append(columnsOf(event), (seq) => JSON.stringify({ resourceType, id: String(seq), ...rest }));
    return eventOf(row);
  }

  search(q: AuditQuery, page: { count: number; offset: number }): { total: number; events: AuditEvent[] } {
    return { total: this.store.count(q), events: this.store.search(q, page).map(eventOf) };
  }

  read(id: string): AuditEvent | undefined {
    if (!/^[1-9]\d{0,15}$/.test(id)) return undefined;
    const row = this.store.get(Number(id));
    return row ? eventOf(row) : undefined;
  }

  /** Recomputes the chain from the first record and names the first that does not hold. */
  verify(): ChainReport {
    let expectedSeq = 1;
    let prev = GENESIS_HASH;
    let records = 0;
    const broken = (seq: number, reason: string): ChainReport => ({ records, firstBroken: { seq, reason }, guards: this.store.appendOnlyGuards(), head: prev });
    for (const row of this.store.all()) {
      records++;
      if (row.seq !== expectedSeq) return broken(row.seq, `record ${expectedSeq} is missing (the next record is ${row.seq})`);
      if (row.prevHash !== prev) return broken(row.seq, 'its previous-record hash does not match the record before it');
      if (chainHash(row.seq, row.prevHash, row.json) !== row.hash) return broken(row.seq, 'its content does not match its hash (changed after it was written)');
      let event: AuditEvent;
      try {
        event = JSON.parse(row.json);
      } catch {
        return broken(row.seq, 'its content is not JSON');
      }
      const cols = columnsOf(event);
      const differs = SAME_COLUMNS.find((c) => (cols[c] ?? null) !== (row[c] ?? null));
      if (differs || event.id !== String(row.seq)) return broken(row.seq, `its ${differs ?? 'id'} column does not match its content (changed after it was written)`);
      prev = row.hash;
      expectedSeq++;
    }
    return { records, guards: this.store.appendOnlyGuards(), head: prev };
  }

  /** AuditEvents recorded at or after an instant, oldest first, each with its chain hashes. */
  *since(from: string): IterableIterator<AuditEvent> {
    for (const row of this.store.since(from)) {
      yield {
        ...eventOf(row),
        extension: [
          { url: 'https://kodverk.se/fhir/StructureDefinition/audit-chain-hash', valueString: row.hash },
          { url: 'https://kodverk.se/fhir/StructureDefinition/audit-chain-previous', valueString: row.prevHash },
        ],
      };
    }
  }
}
