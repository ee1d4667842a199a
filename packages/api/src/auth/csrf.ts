// CSRF defence for cookie-authenticated writes, on top of SameSite=Lax cookies: a state-changing request must come
// from our own origin. Browsers always send Origin on cross-origin POSTs (and Sec-Fetch-Site), so a forged form or
// fetch from another site is refused; non-browser clients (the trainer, scripts) send neither and carry no victim's
// cookie.
export interface RequestHeaders {
  origin?: string | undefined;
  host?: string | undefined;
  "sec-fetch-site"?: string | undefined;
  "x-forwarded-host"?: string | undefined;
}

export function isCrossSiteRequest(method: string, headers: RequestHeaders): boolean {
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return false;
  const site = headers["sec-fetch-site"];
  if (site && site !== "same-origin" && site !== "none") return true;
  const origin = headers.origin;
  if (!origin) return false;
  if (origin === "null") return true;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return true;
  }
  const host = headers["x-forwarded-host"] ?? headers.host;
  return originHost !== host;
}

/** For WebSocket/polling handshakes (GET requests): refuse pages from another origin (cross-site WebSocket hijacking). */
export function isForeignOrigin(headers: RequestHeaders): boolean {
  const origin = headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== (headers["x-forwarded-host"] ?? headers.host);
  } catch {
    return true;
  }
}
