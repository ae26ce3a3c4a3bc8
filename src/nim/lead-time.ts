import type { ChangeClass, LeadTimeRecord } from './release-snapshot';

/**
 * Vendors need about six months for small changes and at least a year for larger ones
 * (001:L1737–1744): a release may take effect no sooner than that after its adoption.
 */
export const LEAD_TIME_MONTHS: Record<ChangeClass, number> = { none: 0, patch: 0, minor: 6, major: 12 };

/** date + months (YYYY-MM-DD; the 31st of a shorter month is its last day). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, last));
  return first.toISOString().slice(0, 10);
}

/** The day before a date (YYYY-MM-DD): when what a new version replaces stops being in force. */
export function dayBefore(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** Does an effective date leave vendors the lead time a change class needs, counted from adoption? */
export function checkLeadTime(changeClass: ChangeClass, adoptedOn: string, effectiveFrom: string): LeadTimeRecord {
  const requiredMonths = LEAD_TIME_MONTHS[changeClass];
  const earliestEffective = addMonths(adoptedOn, requiredMonths);
  return { changeClass, requiredMonths, earliestEffective, satisfied: effectiveFrom >= earliestEffective };
}
