// Text that arrives in names we did not choose (file names, zip entries, CSV cells) and is shown to people.

/**
 * Removes control characters (NUL cannot even be stored in PostgreSQL text) and the invisible bidirectional
 * overrides and isolates that make `invoice-\u202Egnp.exe` display as `invoice-exe.png`.
 */
export function stripControlCharacters(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "");
}
