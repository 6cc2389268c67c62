// CSV (RFC 4180) for the dashboard's exports; cells that a spreadsheet would run as a formula are defused.
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Quotes a cell when it holds a comma, quote or line break (RFC 4180 section 2), and prefixes text that starts
 * with = + - @ tab or carriage return with a single quote, so a hostname sent by a node cannot become a formula
 * in the administrator's spreadsheet (OWASP, "CSV Injection").
 */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  let s = String(v);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [columns, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
