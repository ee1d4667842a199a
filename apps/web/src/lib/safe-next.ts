// The `?next=` target after signing in: only same-site paths, so the parameter cannot send people elsewhere.
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}
