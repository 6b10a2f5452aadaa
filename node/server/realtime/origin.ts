import type { IncomingHttpHeaders } from 'node:http';

function firstHeader(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  // X-Forwarded-Host may list several proxies' values; the first is the one the browser used.
  return first?.split(',')[0]?.trim() || undefined;
}

/**
 * Whether a socket.io request comes from a page of this site. Browsers send Origin on every WebSocket and
 * cross-origin request; a request without Origin is a same-origin polling GET or a non-browser client, which
 * carries no ambient cookie it did not choose, so it is let through to the session check.
 * Behind proxies (trustProxy) the host the browser saw is in X-Forwarded-Host.
 */
export function isSameOrigin(headers: IncomingHttpHeaders, trustProxy: boolean): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  const host = (trustProxy ? firstHeader(headers['x-forwarded-host']) : undefined) ?? firstHeader(headers.host);
  if (!host) return false;
  try {
    const parsed = new URL(origin);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
    // Parsed with the origin's scheme so that a default port written out (example.org:443) compares equal.
    return parsed.host === new URL(`${parsed.protocol}//${host}`).host;
  } catch {
    // "null" (sandboxed frames, file:) and anything unparsable.
    return false;
  }
}
