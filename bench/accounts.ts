/**
 * Creates the benchmark's users the way a browser does: GET /api/session for a CSRF token, then
 * POST /api/register with it. The session cookie that comes back authenticates the user's socket.
 */
import { randomBytes } from 'node:crypto';
import { CSRF_HEADER, type ApiError, type RegisterRequest, type SessionResponse } from '../node/shared/protocol';

/** name=value pairs from Set-Cookie headers, merged into what the client already holds. */
export function mergeSetCookies(cookieHeader: string, setCookies: readonly string[]): string {
  const jar = new Map<string, string>();
  for (const pair of cookieHeader.split(';')) {
    const [name, ...value] = pair.trim().split('=');
    if (name) jar.set(name, value.join('='));
  }
  for (const setCookie of setCookies) {
    const [pair = ''] = setCookie.split(';');
    const [name, ...value] = pair.trim().split('=');
    if (name) jar.set(name, value.join('='));
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}

async function requestJson<T>(url: string, init: RequestInit, cookie: string): Promise<{ body: T; cookie: string }> {
  const response = await fetch(url, { ...init, headers: { ...init.headers, cookie }, signal: AbortSignal.timeout(30_000) });
  const body = (await response.json()) as T | ApiError;
  if (!response.ok) {
    const message = typeof body === 'object' && body !== null && 'error' in body ? body.error : response.statusText;
    throw new Error(`${init.method ?? 'GET'} ${new URL(url).pathname}: ${response.status} ${message}`);
  }
  return { body: body as T, cookie: mergeSetCookies(cookie, response.headers.getSetCookie()) };
}

/** Registers one user and returns the Cookie header of its logged-in session. */
export async function registerUser(baseUrl: string, username: string): Promise<string> {
  const anonymous = await requestJson<SessionResponse>(`${baseUrl}/api/session`, {}, '');
  const request: RegisterRequest = {
    username,
    email: `${username}@bench.invalid`,
    password: randomBytes(12).toString('base64url'),
  };
  const registered = await requestJson<SessionResponse>(
    `${baseUrl}/api/register`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CSRF_HEADER]: anonymous.body.csrfToken },
      body: JSON.stringify(request),
    },
    anonymous.cookie,
  );
  if (registered.body.user?.username !== username) throw new Error(`registration of ${username} returned no user`);
  return registered.cookie;
}

/**
 * Registers `count` users, `concurrency` at a time (password hashing is deliberately slow, and the
 * machine is shared). Returns one Cookie header per user, in order.
 */
export async function registerUsers(baseUrl: string, count: number, signal?: AbortSignal, concurrency = 4): Promise<string[]> {
  const cookies = new Array<string>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      signal?.throwIfAborted();
      const index = next++;
      cookies[index] = await registerUser(baseUrl, `bench-${String(index).padStart(4, '0')}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return cookies;
}
