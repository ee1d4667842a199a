// CSV export (labels, predictions) that opens safely in spreadsheets: RFC 4180 quoting, CRLF line ends, and text
// cells that a spreadsheet would run as a formula (= + - @, tab, CR) prefixed with a single quote (OWASP
// "CSV injection"). Numbers are written as numbers, so -1.5 stays a number.

export type CsvCell = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

export function toCsvCell(value: CsvCell): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (typeof value === "boolean") return value ? "true" : "false";
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: Iterable<readonly CsvCell[]>): string {
  let out = "";
  for (const row of rows) out += `${row.map(toCsvCell).join(",")}\r\n`;
  return out;
}
