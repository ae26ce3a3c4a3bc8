import type { Nim } from '..';
import { conflict } from '../errors';
import type { ReleaseIndex, ReleaseIndexCache } from './release-index';

/**
 * Which release judges a record: one named by version (any release with published content, so
 * vendors can test against a release on påseende), or the adopted release in force on the
 * record's event date. Answers per date are remembered, since a file's rows share few dates and
 * finding the release in force reads every release.
 */
export class ReleaseSelector {
  constructor(
    private readonly nim: Nim,
    private readonly cache: ReleaseIndexCache,
    /** answers per date, shared while no release changes lifecycle */
    private readonly byDate = new Map<string, ReleaseIndex | null>(),
  ) {}

  /** A release by version: 404 when there is none, 409 while it is an utkast (no content yet). */
  version(version: string): ReleaseIndex {
    const row = this.nim.releases.get(version);
    if (!row.snapshot) throw conflict(`Release ${version} is an utkast and has no published content to validate against`);
    return this.cache.of(row);
  }

  /** The adopted release in force on a date (YYYY-MM-DD), if any. */
  inForce(date: string): ReleaseIndex | undefined {
    let found = this.byDate.get(date);
    if (found === undefined) {
      const row = this.nim.releases.inForce(date);
      found = row?.snapshot ? this.cache.of(row) : null;
      this.byDate.set(date, found);
    }
    return found ?? undefined;
  }
}

/** The attribute that dates a NIM's record (the event date): its `datum`. */
export const EVENT_DATE_ATTRIBUTE = 'datum';

/**
 * A submission row's event date, for the NIMs in it that have no date of their own (Brukare,
 * Organisation, …): the first of these NIMs' dates the row holds. The decision comes first
 * because a register row reports decisions on insatser (Datum för beslut om insats); then the
 * insats (verkställande), the aktualisering, framställning and uppföljning.
 */
export const ROW_DATE_PRECEDENCE = ['myndighetsbeslut', 'insats', 'aktualisera-arende', 'framstallning', 'uppfoljning'];
