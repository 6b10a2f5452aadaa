/**
 * The REST half of node/shared/protocol.ts. Holds the session's CSRF token and sends it on every
 * write; turns the server's `{error, code}` answers into ApiError: forms show the message as is, code branches on the code.
 */
import {
  type AroundResponse,
  CSRF_HEADER,
  ERROR_CODES,
  type ErrorCode,
  type HistoryResponse,
  type LoginRequest,
  type PublicUser,
  type RegisterRequest,
  type RoomSummary,
  type SearchResponse,
  type SessionResponse,
} from '../../shared/protocol';

export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when the server could not be reached at all. */
    readonly status: number,
    /** What went wrong, for the code: never branch on the message. */
    readonly code: ErrorCode,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

function isErrorCode(value: unknown): value is ErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(value);
}

/** The server's `{error, code}`; a proxy's page (not JSON) gets a message and code from its status. */
function apiError(payload: unknown, status: number): ApiError {
  const { error, code } = (typeof payload === 'object' && payload !== null ? payload : {}) as { error?: unknown; code?: unknown };
  if (typeof error === 'string' && isErrorCode(code)) return new ApiError(error, status, code);
  return new ApiError(`The server answered ${status}`, status, status >= 500 ? 'unavailable' : 'invalid');
}

export class Api {
  private csrfToken = '';

  async session(): Promise<SessionResponse> {
    return this.remember(await this.request<SessionResponse>('GET', '/api/session'));
  }

  async login(credentials: LoginRequest): Promise<SessionResponse> {
    return this.remember(await this.request<SessionResponse>('POST', '/api/login', { json: credentials }));
  }

  async register(account: RegisterRequest): Promise<SessionResponse> {
    return this.remember(await this.request<SessionResponse>('POST', '/api/register', { json: account }));
  }

  /** Logs out, then fetches the new anonymous session (its fresh CSRF token is needed to log in again). */
  async logout(): Promise<SessionResponse> {
    await this.request<undefined>('POST', '/api/logout');
    return this.session();
  }

  rooms(): Promise<RoomSummary[]> {
    return this.request<RoomSummary[]>('GET', '/api/rooms');
  }

  history(room: string, before: number | null, limit: number): Promise<HistoryResponse> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (before !== null) query.set('before', String(before));
    return this.request<HistoryResponse>('GET', `/api/rooms/${encodeURIComponent(room)}/messages?${query.toString()}`);
  }

  /** The message and the ones around it in its room, oldest first. */
  around(room: string, id: number): Promise<AroundResponse> {
    return this.request<AroundResponse>('GET', `/api/rooms/${encodeURIComponent(room)}/messages?around=${id}`);
  }

  /** Messages of every room the user is in that match `query`, newest first; older than `before` when given. */
  search(query: string, before: number | null): Promise<SearchResponse> {
    const parameters = new URLSearchParams({ q: query });
    if (before !== null) parameters.set('before', String(before));
    return this.request<SearchResponse>('GET', `/api/search?${parameters.toString()}`);
  }

  /** Sends the file's bytes as they are, with its type: the server checks the content, not the name. */
  uploadAvatar(file: Blob): Promise<PublicUser> {
    return this.request<PublicUser>('PUT', '/api/me/avatar', { raw: file });
  }

  private remember(session: SessionResponse): SessionResponse {
    this.csrfToken = session.csrfToken;
    return session;
  }

  private async request<T>(method: Method, path: string, body?: { json: unknown } | { raw: Blob }): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (method !== 'GET') headers[CSRF_HEADER] = this.csrfToken;
    let payload: BodyInit | undefined;
    if (body && 'json' in body) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      headers['Content-Type'] = body.raw.type || 'application/octet-stream';
      payload = body.raw;
    }
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
    } catch {
      throw new ApiError('Cannot reach the server. Check your connection and try again.', 0, 'unavailable');
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // A proxy's HTML error page: fall back to the status below.
    }
    if (!response.ok) {
      throw apiError(parsed, response.status);
    }
    return parsed as T;
  }
}
