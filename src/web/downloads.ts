import ExcelJS from 'exceljs';
import type { Response } from 'express';

/** A table to download: column headers and rows of text. */
export interface Table {
  /** file name without extension */
  name: string;
  headers: string[];
  rows: string[][];
}

/**
 * One CSV field. A value that begins like a formula (= + - @, tab or carriage return) is given a
 * leading apostrophe, which Excel shows as nothing but reads as "this is text": codes and displays
 * come from content anyone may have written, and must not run as formulas on an analyst's machine.
 */
export function csvField(v: string): string {
  const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",;\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * CSV as Excel in Sweden opens it: semicolon separated (comma is the decimal sign), UTF-8 with a
 * byte-order mark (otherwise å, ä and ö are misread), CRLF line ends.
 */
export function toCsv(t: Table): string {
  return '\uFEFF' + [t.headers, ...t.rows].map((r) => r.map(csvField).join(';')).join('\r\n') + '\r\n';
}

export async function toXlsx(t: Table): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Kodverk';
  const ws = wb.addWorksheet(t.name.slice(0, 31).replace(/[\\/?*[\]:]/g, '-'));
  ws.addRow(t.headers).font = { bold: true };
  for (const r of t.rows) ws.addRow(r);
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  t.headers.forEach((h, i) => {
    const longest = Math.max(h.length, ...t.rows.slice(0, 500).map((r) => (r[i] ?? '').length));
    ws.getColumn(i + 1).width = Math.min(60, Math.max(8, longest + 2));
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Sends a table as .csv or .xlsx (as an attachment named after the table). */
export async function sendTable(res: Response, t: Table, format: 'csv' | 'xlsx'): Promise<void> {
  const file = `${t.name}.${format}`;
  res.setHeader('Content-Disposition', `attachment; filename="${file.replace(/[^\w.-]/g, '_')}"`);
  if (format === 'csv') {
    res.type('text/csv; charset=utf-8').send(toCsv(t));
  } else {
    res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(await toXlsx(t));
  }
}
