// CSV (RFC 4180) for the dashboard's exports; cells that a spreadsheet would run as a formula are defused.
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Every text cell is quoted (RFC 4180 section 2), so no separator inside it splits it, whether the spreadsheet
 * reads "," or, in many European locales, ";"; text that starts with = + - @ tab or carriage return gets a single
 * quote first, so a hostname sent by a node cannot become a formula (OWASP, "CSV Injection").
 */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  let s = String(v);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

/** The header is ctrsafe's own column names, written bare; every row goes through cell(). */
export function renderCsv(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [columns.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\r\n') + '\r\n';
}
