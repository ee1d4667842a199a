// The `?next=` target after signing in: only same-site paths, so the parameter cannot send people elsewhere.
const HERE = "http://fewlabel.invalid";

export function safeNext(next: string | null | undefined): string {
  if (!next?.startsWith("/")) return "/";
  // Browsers drop tabs and newlines from a URL and read "\" as "/": "/\t/evil.example" and "/\\evil.example" both
  // become "//evil.example", another site. Such characters have no place in our own paths.
  if (/[\u0000-\u0020\u007f\\]/.test(next)) return "/";
  let url: URL;
  try {
    url = new URL(next, HERE);
  } catch {
    return "/";
  }
  if (url.origin !== HERE) return "/";
  return url.pathname + url.search + url.hash;
}
