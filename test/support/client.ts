/**
 * A small HTTP + socket.io client that behaves like the browser: it keeps the session cookie and
 * sends the CSRF token on writes.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, SelfUser, ServerToClientEvents, SessionResponse } from '../../node/shared/protocol';

export interface TestUser {
  username: string;
  email: string;
  password: string;
}

let userCounter = 0;

/** A valid, unique user for a test. */
export function newUser(prefix = 'user'): TestUser {
  userCounter += 1;
  const username = `${prefix}_${process.pid % 10000}_${userCounter}_${Math.random().toString(36).slice(2, 6)}`.slice(0, 32);
  return { username, email: `${username}@example.com`, password: 'correct horse battery' };
}

export interface ApiResult<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  /** The Set-Cookie lines of the response. */
  setCookies: string[];
}

/** A browser-like session: the cookie jar is one cookie, the session cookie. */
export class ApiSession {
  cookie = '';
  csrfToken = '';
  user: SelfUser | null = null;

  constructor(readonly url: string) {}

  async request<T = unknown>(method: string, path: string, options: { json?: unknown; body?: BodyInit | Buffer; headers?: Record<string, string>; csrf?: boolean } = {}): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (options.csrf !== false && this.csrfToken && method !== 'GET') headers['x-csrf-token'] ??= this.csrfToken;
    // fetch takes bytes as a plain Uint8Array.
    let body: BodyInit | undefined = Buffer.isBuffer(options.body) ? Uint8Array.from(options.body) : options.body;
    if (options.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await fetch(`${this.url}${path}`, { method, headers, body, redirect: 'manual' });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair] = line.split(';');
      if (pair?.startsWith('chat.sid=')) this.cookie = /expires=Thu, 01 Jan 1970/i.test(line) || pair === 'chat.sid=' ? '' : pair;
    }
    const text = await response.text();
    let parsed: unknown = text;
    if (response.headers.get('content-type')?.includes('json') && text) parsed = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && 'csrfToken' in parsed) {
      const session = parsed as SessionResponse;
      this.csrfToken = session.csrfToken;
      this.user = session.user;
    }
    return { status: response.status, body: parsed as T, headers: response.headers, setCookies };
  }

  /** GET /api/session: obtains a cookie and a CSRF token, like the client does on page load. */
  async start(): Promise<this> {
    await this.request('GET', '/api/session');
    return this;
  }

  async register(user: TestUser): Promise<ApiResult<SessionResponse>> {
    if (!this.csrfToken) await this.start();
    return this.request<SessionResponse>('POST', '/api/register', { json: user });
  }

  async login(username: string, password: string): Promise<ApiResult<SessionResponse>> {
    if (!this.csrfToken) await this.start();
    return this.request<SessionResponse>('POST', '/api/login', { json: { username, password } });
  }

  /** Logs out; like the browser client, it needs a new CSRF token (GET /api/session) before the next write. */
  async logout(): Promise<ApiResult> {
    const result = await this.request('POST', '/api/logout');
    if (result.status === 204) {
      this.csrfToken = '';
      this.user = null;
    }
    return result;
  }
}

export interface LoggedIn {
  session: ApiSession;
  /** `chat.sid=...`, ready for a Cookie header. */
  cookie: string;
  csrfToken: string;
  user: SelfUser;
}

function loggedIn(session: ApiSession, result: ApiResult<SessionResponse>, expected: number): LoggedIn {
  if (result.status !== expected || !session.user) throw new Error(`expected ${expected}, got ${result.status}: ${JSON.stringify(result.body)}`);
  return { session, cookie: session.cookie, csrfToken: session.csrfToken, user: session.user };
}

/** Registers (and so logs in) a user; throws unless the server answers 201. */
export async function register(url: string, user: TestUser = newUser()): Promise<LoggedIn> {
  const session = new ApiSession(url);
  return loggedIn(session, await session.register(user), 201);
}

/** Logs in an existing user; throws unless the server answers 200. */
export async function login(url: string, username: string, password: string): Promise<LoggedIn> {
  const session = new ApiSession(url);
  return loggedIn(session, await session.login(username, password), 200);
}

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A socket.io client with the browser's session cookie and same-origin Origin header; resolves once connected. */
export function connectSocket(url: string, cookie: string, options: { autoConnect?: boolean } = {}): Promise<ChatSocket> {
  const socket: ChatSocket = io(url, {
    transports: ['websocket'],
    extraHeaders: { cookie, origin: url },
    reconnection: false,
    forceNew: true,
    autoConnect: options.autoConnect ?? true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}
