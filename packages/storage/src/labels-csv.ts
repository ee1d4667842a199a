// Labels from a CSV sent with the images: "filename,label" rows, header optional. Parsing is RFC 4180 (quoted
// fields with "" escapes and embedded commas/newlines, CRLF or LF, leading BOM) and never throws: bad rows come
// back as line-numbered errors so the UI can show them next to the accepted rows. The first row is skipped as a
// header when it looks like one (see isHeader). A filename listed twice keeps its first label.
//
// Matching a CSV filename to an uploaded image's path (createCsvLabelLookup), first rule that hits wins:
//   1. the same relative path ("cats/001.jpg" == "cats/001.jpg");
//   2. a trailing part of the image path on a folder boundary equals a CSV filename: the archive may wrap
//      everything in a root folder ("export/cats/001.jpg" matches "cats/001.jpg" and "001.jpg");
//   3. the image's basename equals the basename of exactly one CSV row (a browser multi-file upload only knows
//      basenames; a basename shared by several rows is ambiguous and matches nothing).
// Comparison is case-sensitive, after turning "\" into "/" and dropping "./" segments.
import { checkArchivePath } from "./archive-path";

export interface CsvLabelEntry {
  /** 1-based line where the row starts. */
  line: number;
  filename: string;
  label: string;
}

export interface CsvLabelError {
  line: number;
  message: string;
}

export interface ParsedLabelsCsv {
  entries: CsvLabelEntry[];
  errors: CsvLabelError[];
}

const FILENAME_HEADERS = new Set(["filename", "file", "file_name", "path", "image", "image_path", "name", "id"]);
const LABEL_HEADERS = new Set(["label", "class", "class_name", "category", "target", "y"]);

/** Splits CSV text into rows of fields, each with the line it starts on. Errors for unterminated quotes. */
export function parseCsvRows(text: string): { rows: { line: number; fields: string[] }[]; errors: CsvLabelError[] } {
  const rows: { line: number; fields: string[] }[] = [];
  const errors: CsvLabelError[] = [];
  const input = text.startsWith("\uFEFF") ? text.slice(1) : text;
  let line = 1;
  let rowLine = 1;
  let fields: string[] = [];
  let field = "";
  let i = 0;
  let rowHasContent = false;
  const endRow = () => {
    fields.push(field);
    if (rowHasContent || fields.length > 1 || field !== "") rows.push({ line: rowLine, fields });
    fields = [];
    field = "";
    rowHasContent = false;
  };
  while (i < input.length) {
    const c = input[i]!;
    if (c === '"' && field === "") {
      // Quoted field: runs to the next lone quote.
      const startLine = line;
      i++;
      let closed = false;
      while (i < input.length) {
        const q = input[i]!;
        if (q === '"') {
          if (input[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        if (q === "\n") line++;
        field += q;
        i++;
      }
      rowHasContent = true;
      if (!closed) {
        errors.push({ line: startLine, message: 'A quoted field is never closed (missing ").' });
        field = "";
        fields = [];
        rowHasContent = false;
        break;
      }
      // Tolerate spaces between the closing quote and the separator; anything else is malformed.
      while (input[i] === " " || input[i] === "\t") i++;
      const next = input[i];
      if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
        errors.push({ line, message: "Unexpected text after a closing quote." });
        while (i < input.length && input[i] !== "\n") i++;
        fields = [];
        field = "";
        rowHasContent = false;
        if (i < input.length) {
          i++;
          line++;
          rowLine = line;
        }
      }
      continue;
    }
    if (c === ",") {
      fields.push(field);
      field = "";
      rowHasContent = true;
      i++;
    } else if (c === "\r" || c === "\n") {
      endRow();
      i += c === "\r" && input[i + 1] === "\n" ? 2 : 1;
      line++;
      rowLine = line;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== "" || fields.length > 0 || rowHasContent) endRow();
  return { rows, errors };
}

export function parseLabelsCsv(text: string): ParsedLabelsCsv {
  const { rows, errors } = parseCsvRows(text);
  const entries: CsvLabelEntry[] = [];
  const seen = new Map<string, CsvLabelEntry>();
  rows.forEach(({ line, fields }, index) => {
    const cells = fields.map((cell) => cell.trim());
    if (cells.every((cell) => cell === "")) return;
    if (index === 0 && isHeader(cells, rows[1]?.fields[0]?.trim())) return;
    if (cells.length !== 2) {
      errors.push({ line, message: `Expected 2 columns (filename,label), found ${cells.length}.` });
      return;
    }
    const [rawFilename, label] = cells as [string, string];
    if (rawFilename === "") return void errors.push({ line, message: "The filename is empty." });
    if (label === "") return void errors.push({ line, message: `The label for ${JSON.stringify(rawFilename)} is empty.` });
    const checked = checkArchivePath(rawFilename);
    if (checked.kind !== "file") {
      const why = checked.kind === "unsafe" ? checked.message : "It names a folder or hidden file.";
      return void errors.push({ line, message: `Filename ${JSON.stringify(rawFilename)} is not usable. ${why}` });
    }
    const filename = checked.path;
    const previous = seen.get(filename);
    if (previous) {
      if (previous.label !== label) {
        errors.push({
          line,
          message: `${JSON.stringify(filename)} is labelled ${JSON.stringify(label)} here but ${JSON.stringify(previous.label)} on line ${previous.line}; the first is kept.`,
        });
      }
      return;
    }
    const entry = { line, filename, label: label.normalize("NFC") };
    seen.set(filename, entry);
    entries.push(entry);
  });
  errors.sort((a, b) => a.line - b.line);
  return { entries, errors };
}

/**
 * The first row is a header when it uses the usual column names, or when its first cell has no file extension
 * while the next row's does ("img,cls" above "a.png,cat").
 */
function isHeader(cells: string[], nextFilename: string | undefined): boolean {
  if (cells.length !== 2) return false;
  const [first, second] = cells.map((cell) => cell.toLowerCase()) as [string, string];
  if (FILENAME_HEADERS.has(first) && LABEL_HEADERS.has(second)) return true;
  return !first.includes(".") && nextFilename !== undefined && nextFilename.includes(".");
}

/** Builds the matcher described at the top of this file: image path -> label, or undefined. */
export function createCsvLabelLookup(entries: readonly CsvLabelEntry[]): (imagePath: string) => string | undefined {
  const byPath = new Map<string, string>();
  const byBasename = new Map<string, string | null>(); // null: several rows share this basename
  for (const { filename, label } of entries) {
    if (!byPath.has(filename)) byPath.set(filename, label);
    const base = basename(filename);
    byBasename.set(base, byBasename.has(base) ? null : label);
  }
  return (imagePath) => {
    const checked = checkArchivePath(imagePath);
    if (checked.kind !== "file") return undefined;
    const segments = checked.path.split("/");
    for (let start = 0; start < segments.length; start++) {
      const label = byPath.get(segments.slice(start).join("/"));
      if (label !== undefined) return label;
    }
    return byBasename.get(segments[segments.length - 1]!) ?? undefined;
  };
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
