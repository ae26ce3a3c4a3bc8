import type { Datatype } from '../nim-model';
import { UCUM_URL } from '../../terminology/providers/ucum';

/**
 * Reading one attribute value, from a record's JSON (FHIR datatype shapes) or from a submission
 * cell (text). Cells use the register file's conventions: coded values as `code` or
 * `system|code`, dates ISO 8601, periods `start/end`, repetitions separated by `,` (only for
 * datatypes whose text never holds a comma). Problems are described without the value itself,
 * which may be personal data.
 */

export interface CodingValue {
  system?: string;
  code: string;
}

/** What validation needs of a value beyond "it has the right shape". */
export type ReadValue =
  | {
      ok: true;
      codings?: CodingValue[];
      hasText?: boolean;
      date?: string;
      /** a Money amount's currency (ISO 4217 code), to be checked against the code system */
      currency?: string;
      /** how many decimals a Money amount is written with (at most the currency's minor unit) */
      decimals?: number;
      /** a Quantity's unit as a UCUM code, to be checked against UCUM */
      ucumUnit?: string;
    }
  | { ok: false; problem: string };


const ok: ReadValue = { ok: true };
const bad = (problem: string): ReadValue => ({ ok: false, problem });

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** Datatypes whose cell text never holds a comma, so a comma separates repetitions. */
const COMMA_FREE: ReadonlySet<Datatype> = new Set<Datatype>(['Coding', 'CodeableConcept', 'date', 'dateTime', 'Period', 'integer', 'boolean']);

/**
 * The repetitions of a value: a JSON array's items, a cell split at commas (where the datatype
 * allows), or the value alone. Empty strings and nulls count as absent.
 */
export function repetitions(type: Datatype, raw: unknown): unknown[] {
  if (raw === undefined || raw === null) return [];
  if (Array.isArray(raw)) return raw.filter((v) => v !== null && v !== undefined && !(typeof v === 'string' && v.trim() === ''));
  if (typeof raw === 'string') {
    if (raw.trim() === '') return [];
    if (COMMA_FREE.has(type) && raw.includes(',')) return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    return [raw.trim()];
  }
  return [raw];
}

// ---- dates -----------------------------------------------------------------------------------

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d|60)(?:\.\d{1,9})?)?(Z|[+-](?:0\d|1[0-4]):[0-5]\d)?)?)?)?$/;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function calendarOk(y: string, m?: string, d?: string): boolean {
  if (m === undefined) return true;
  const month = Number(m);
  if (month < 1 || month > 12) return false;
  if (d === undefined) return true;
  const day = Number(d);
  const year = Number(y);
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day >= 1 && day <= DAYS[month - 1] + (leap ? 1 : 0);
}

/** A FHIR date (YYYY, YYYY-MM or YYYY-MM-DD, a real calendar day); the full day when there is one. */
export function readDate(v: unknown): ReadValue {
  if (typeof v !== 'string') return bad('is not a date (YYYY-MM-DD)');
  const m = DATE.exec(v);
  if (!m || !calendarOk(m[1], m[2], m[3])) return bad('is not a date (ISO 8601: YYYY-MM-DD, or YYYY-MM or YYYY)');
  return m[3] ? { ok: true, date: v } : ok;
}

/** A full date (YYYY-MM-DD, a real day), or undefined: what an event date must be. */
export function fullDate(v: unknown): string | undefined {
  const d = readDate(v);
  return d.ok ? d.date : undefined;
}

/**
 * An event date as the date attribute's value is read: the one repetition, trimmed (a cell of
 * ` 2027-07-01 ` is the date 2027-07-01), when it is a full date; else undefined.
 */
export function eventDate(raw: unknown): string | undefined {
  const values = repetitions('date', raw);
  return values.length === 1 ? fullDate(values[0]) : undefined;
}

/** A FHIR dateTime: a date, or a date and time with a time zone. */
export function readDateTime(v: unknown): ReadValue {
  if (typeof v !== 'string') return bad('is not a date and time (ISO 8601)');
  const m = DATE_TIME.exec(v);
  if (!m || !calendarOk(m[1], m[2], m[3])) return bad('is not a date and time (ISO 8601: YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+01:00; a time needs a time zone)');
  if (m[4] !== undefined && m[7] === undefined) return bad('is a date and time without a time zone (add Z or +01:00)');
  return m[3] ? { ok: true, date: v.slice(0, 10) } : ok;
}

function readPeriod(v: unknown): ReadValue {
  let start: unknown;
  let end: unknown;
  if (typeof v === 'string') {
    const slash = v.indexOf('/');
    if (slash < 0 || v.indexOf('/', slash + 1) >= 0) return bad('is not a period (start/end, either side may be empty)');
    [start, end] = [v.slice(0, slash).trim(), v.slice(slash + 1).trim()];
  } else if (isObject(v)) {
    [start, end] = [v.start, v.end];
  } else return bad('is not a period ({start, end} or start/end)');
  const has = (x: unknown) => x !== undefined && x !== null && x !== '';
  if (!has(start) && !has(end)) return bad('is a period with neither start nor end');
  for (const [x, which] of [
    [start, 'start'],
    [end, 'end'],
  ] as const) {
    if (has(x) && !readDateTime(x).ok) return bad(`has a ${which} that is not a date (ISO 8601)`);
  }
  if (has(start) && has(end) && endsBeforeStart(String(start), String(end))) return bad('is a period that ends before it starts');
  return ok;
}

/** The instant of a dateTime with a time (it has a time zone, readDateTime sees to that). */
function instant(v: string): number | undefined {
  const m = DATE_TIME.exec(v);
  if (!m || m[4] === undefined) return undefined;
  const t = Date.parse(m[6] === '60' ? v.replace(':60', ':59') : v); // a leap second: the second before
  return Number.isNaN(t) ? undefined : t;
}

/**
 * FHIR Period: "start SHALL have a lower value than end" (or equal, per-1). Two times are
 * compared as instants, their time zones applied (10:00+02:00 is before 09:30Z); otherwise the
 * dates, at the precision both have (ISO 8601 dates sort in time order).
 */
function endsBeforeStart(start: string, end: string): boolean {
  const [from, to] = [instant(start), instant(end)];
  if (from !== undefined && to !== undefined) return to < from;
  const n = Math.min(start.length, end.length, 10);
  return end.slice(0, n) < start.slice(0, n);
}

// ---- numbers and quantities ------------------------------------------------------------------

const INTEGER = /^[+-]?\d{1,10}$/;
const DECIMAL = /^[+-]?\d+(\.\d+)?$/;

function readInteger(v: unknown): ReadValue {
  const n = typeof v === 'number' ? v : typeof v === 'string' && INTEGER.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n > 2147483647 || n < -2147483648) return bad('is not an integer');
  return ok;
}

function decimalText(v: unknown): boolean {
  return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && DECIMAL.test(v));
}

function readDecimal(v: unknown): ReadValue {
  if (decimalText(v)) return ok;
  return bad(typeof v === 'string' && /^[+-]?\d+,\d+$/.test(v) ? 'is not a decimal number (use a point, not a comma, before the decimals)' : 'is not a decimal number');
}

function readMoney(v: unknown): ReadValue {
  if (typeof v === 'string') {
    const m = /^[+-]?\d+(?:\.(\d+))?(?: ([A-Z]{3}))?$/.exec(v);
    return m ? { ok: true, currency: m[2], decimals: m[1]?.length ?? 0 } : bad('is not an amount (e.g. 8500 SEK or 8500.50 SEK)');
  }
  if (!isObject(v) || !decimalText(v.value)) return bad('is not an amount ({value, currency})');
  if (v.currency !== undefined && !(typeof v.currency === 'string' && /^[A-Z]{3}$/.test(v.currency))) return bad('has a currency that is not an ISO 4217 code (e.g. SEK)');
  return { ok: true, currency: v.currency as string | undefined, decimals: /\.(\d+)$/.exec(String(v.value))?.[1].length ?? 0 };
}

/**
 * A quantity: a number and a unit. A cell's unit is a UCUM code (`4 h`, `12 h/wk`); in JSON the
 * unit is UCUM when the system says so (or no system is given with a code); `unit` alone is a
 * human-readable text and not checked.
 */
function readQuantity(v: unknown): ReadValue {
  if (typeof v === 'string') {
    const m = /^[+-]?\d+(\.\d+)?(?: (\S+))?$/.exec(v);
    return m ? { ok: true, ucumUnit: m[2] } : bad('is not a quantity (a number, a space and a UCUM unit, e.g. 12 h/wk)');
  }
  if (!isObject(v) || !decimalText(v.value)) return bad('is not a quantity ({value, unit})');
  if (v.code !== undefined && !nonEmpty(v.code)) return bad('is a quantity whose unit code is empty');
  if (nonEmpty(v.code) && (v.system === undefined || v.system === UCUM_URL)) return { ok: true, ucumUnit: v.code };
  return ok;
}

// ---- coded values ----------------------------------------------------------------------------

/** A cell's coded value: `code` or `system|code` (the system a URL, urn:oid: or a bare OID). */
function codingFromText(text: string): CodingValue | undefined {
  const bar = text.lastIndexOf('|');
  if (bar < 0) return text.trim() ? { code: text.trim() } : undefined;
  let system = text.slice(0, bar).trim();
  const code = text.slice(bar + 1).trim();
  if (!system || !code) return undefined;
  // Socialstyrelsen's OIDs are often written bare (1.2.752.116.1.3.2.3.8 for KSI)
  if (/^[0-2](\.\d+)+$/.test(system)) system = `urn:oid:${system}`;
  return { system, code };
}

function codingFromJson(v: Record<string, unknown>): CodingValue | undefined {
  if (!nonEmpty(v.code)) return undefined;
  if (v.system !== undefined && !nonEmpty(v.system)) return undefined;
  return v.system ? { system: (v.system as string).trim(), code: v.code.trim() } : { code: v.code.trim() };
}

function readCoding(v: unknown): ReadValue {
  if (typeof v === 'string') {
    const c = codingFromText(v);
    return c ? { ok: true, codings: [c] } : bad('is not a coded value (code or system|code)');
  }
  if (isObject(v) && !('coding' in v)) {
    const c = codingFromJson(v);
    return c ? { ok: true, codings: [c] } : bad('is not a Coding ({system, code} with a code)');
  }
  return bad('is not a Coding ({system, code})');
}

function readCodeableConcept(v: unknown): ReadValue {
  if (typeof v === 'string' || (isObject(v) && !('coding' in v) && !('text' in v))) return readCoding(v);
  if (!isObject(v)) return bad('is not a CodeableConcept ({coding: [...], text})');
  if (v.coding !== undefined && !Array.isArray(v.coding)) return bad('is a CodeableConcept whose coding is not a list');
  const codings: CodingValue[] = [];
  for (const c of (v.coding as unknown[] | undefined) ?? []) {
    const coding = isObject(c) ? codingFromJson(c) : undefined;
    if (!coding) return bad('is a CodeableConcept with a coding that has no code');
    codings.push(coding);
  }
  const hasText = nonEmpty(v.text);
  if (codings.length === 0 && !hasText) return bad('is a CodeableConcept with neither coding nor text');
  return { ok: true, codings, hasText };
}

// ---- the rest --------------------------------------------------------------------------------

function readString(v: unknown): ReadValue {
  return nonEmpty(v) ? ok : bad('is not a text');
}

function readBoolean(v: unknown): ReadValue {
  return v === true || v === false || v === 'true' || v === 'false' ? ok : bad('is not true or false');
}

function readIdentifier(v: unknown): ReadValue {
  if (typeof v === 'string') return readString(v);
  if (isObject(v) && nonEmpty(v.value) && (v.system === undefined || nonEmpty(v.system))) return ok;
  return bad('is not an identifier ({system, value} with a value)');
}

/** Address and ContactPoint: a text (a cell) or an object (FHIR JSON); their parts are not NIM rules. */
function readStructured(v: unknown): ReadValue {
  return nonEmpty(v) || (isObject(v) && Object.keys(v).length > 0) ? ok : bad('is empty or not an object');
}

const READERS: Record<Datatype, (v: unknown) => ReadValue> = {
  string: readString,
  integer: readInteger,
  decimal: readDecimal,
  boolean: readBoolean,
  date: readDate,
  dateTime: readDateTime,
  Coding: readCoding,
  CodeableConcept: readCodeableConcept,
  Period: readPeriod,
  Money: readMoney,
  Quantity: readQuantity,
  Identifier: readIdentifier,
  Address: readStructured,
  ContactPoint: readStructured,
};

/** Checks one repetition against its datatype. */
export function readValue(type: Datatype, v: unknown): ReadValue {
  return READERS[type](v);
}
