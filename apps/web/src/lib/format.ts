// Small display formatters shared by pages.

const numberFormat = new Intl.NumberFormat("en");

export function formatCount(n: number): string {
  return numberFormat.format(n);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatDate(d: Date | string): string {
  return new Date(d).toLocaleString("en", { dateStyle: "medium", timeStyle: "short" });
}

export function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 100) : 0;
}

const roleNames = { OWNER: "Owner", REVIEWER: "Reviewer", ANNOTATOR: "Annotator" } as const;
export function roleName(role: keyof typeof roleNames): string {
  return roleNames[role];
}
