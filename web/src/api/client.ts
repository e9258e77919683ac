// The console's only way to the server: openapi-fetch over the types generated
// from the service's own OpenAPI document (schema.d.ts, `npm run gen:api`).
import createClient from 'openapi-fetch';
import { messageFor } from '../messages';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Role = Schemas['PublicUser']['role'];
export type PublicUser = Schemas['PublicUser'];

/** API_PREFIX, handed over by the server in a meta tag of index.html. */
export const prefix = document.querySelector('meta[name="api-prefix"]')?.getAttribute('content') ?? '';

// ---- session (tokens survive a reload; a new tab of the same browser shares them)

export interface Session {
  access_token: string;
  refresh_token: string;
  user: PublicUser;
}

const STORAGE_KEY = 'consola.session';
let session: Session | null = (() => {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
})();
const listeners = new Set<(s: Session | null) => void>();

export const getSession = () => session;
export function setSession(next: Session | null) {
  session = next;
  if (next) localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  else localStorage.removeItem(STORAGE_KEY);
  for (const l of listeners) l(next);
}
export function onSession(listener: (s: Session | null) => void) {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

// ---- the typed client

export const api = createClient<paths>({ baseUrl: `${location.origin}${prefix}` });

api.use({
  onRequest({ request }) {
    // The refresh call brings its own bearer (the refresh token).
    if (session && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${session.access_token}`);
    return request;
  },
});

// One refresh at a time: parallel 401s wait for the same rotation (a refresh
// token is single-use; sending it twice would revoke the whole login).
let refreshing: Promise<boolean> | null = null;
export function refreshTokens(): Promise<boolean> {
  const current = session;
  if (!current) return Promise.resolve(false);
  refreshing ??= (async () => {
    try {
      const { data } = await api.POST('/auth/refresh_token', { headers: { authorization: `Bearer ${current.refresh_token}` } });
      if (!data) {
        setSession(null);
        return false;
      }
      setSession({ ...current, ...data });
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// ---- errors: both response families, told in plain Spanish by their code

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The fields a validation refused (by name). */
    readonly fields: string[] = [],
    readonly code?: string,
  ) {
    super(message);
  }
  /** Whether the request may have done its work anyway: no answer, or a server error. */
  get unknownOutcome() {
    return this.status === 0 || this.status >= 500;
  }
  /** A note for one field the server refused, to show next to it. */
  forField(field: string): string | undefined {
    return this.fields.includes(field) ? 'Revise este dato' : undefined;
  }
}

/** "numero_cliente: must be …" or {field, message} → the field's name. */
const fieldOf = (problem: unknown): string | undefined => {
  if (problem && typeof problem === 'object' && 'field' in problem) return String((problem as { field: unknown }).field).replace(/^body\./, '');
  const text = String(problem);
  const i = text.indexOf(':');
  return i > 0 ? text.slice(0, i).replace(/^body\./, '') : undefined;
};

function toApiError(status: number, body: unknown): ApiError {
  let code: string | undefined;
  let problems: unknown[] = [];
  if (body && typeof body === 'object') {
    const b = body as { message?: unknown; error?: unknown; success?: unknown; code?: unknown };
    if (b.success === false) {
      const err = (b.error ?? {}) as { code?: string; details?: unknown };
      code = err.code;
      if (Array.isArray(err.details)) problems = err.details;
    } else {
      code = typeof b.code === 'string' ? b.code : undefined;
      if (Array.isArray(b.message)) problems = b.message;
    }
  }
  const fields = problems.map(fieldOf).filter((f): f is string => Boolean(f));
  return new ApiError(status, messageFor(code, status, fields), fields, code);
}

// ---- connection: when the server last answered, for the offline banner

let lastAnswer: Date | null = null;
let offline = false;
const connectionListeners = new Set<() => void>();
export const connection = () => ({ offline, lastAnswer });
export function onConnection(listener: () => void) {
  connectionListeners.add(listener);
  return () => void connectionListeners.delete(listener);
}
function answered(ok: boolean) {
  if (ok) lastAnswer = new Date();
  if (offline === ok) {
    offline = !ok;
    for (const l of connectionListeners) l();
  } else if (ok) for (const l of connectionListeners) l();
}

type Result = { data?: unknown; error?: unknown; response: Response };

async function send<R extends Result>(call: () => Promise<R>): Promise<R> {
  let result: R;
  try {
    result = await call();
    if (result.response.status === 401 && session && (await refreshTokens())) result = await call();
  } catch (err) {
    answered(false);
    throw new ApiError(0, err instanceof Error && err.name === 'AbortError' ? 'Cancelado.' : messageFor(undefined, 0));
  }
  answered(true);
  if (result.response.status === 401) setSession(null);
  if (!result.response.ok) throw toApiError(result.response.status, result.error);
  return result;
}

/**
 * Runs one typed call; on a 401 refreshes the tokens once and runs it again
 * (same arguments, so the same Idempotency-Key). Resolves with the body,
 * rejects with an ApiError in plain Spanish.
 */
export async function run<R extends Result>(call: () => Promise<R>): Promise<NonNullable<R['data']>> {
  return (await send(call)).data as NonNullable<R['data']>;
}

/** The same for a paged POS list: the rows and the total from X-Total-Count. */
export async function runPaged<R extends Result>(call: () => Promise<R>): Promise<{ rows: NonNullable<R['data']>; total: number }> {
  const result = await send(call);
  return { rows: result.data as NonNullable<R['data']>, total: Number(result.response.headers.get('x-total-count') ?? 0) };
}

// ---- idempotency keys

/** A v4 UUID; crypto.randomUUID is missing on plain-http LAN addresses, getRandomValues is not. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export async function login(email: string, password: string): Promise<Session> {
  const data = await run(() => api.POST('/auth/login', { body: { email, password } }));
  const s: Session = { access_token: data.access_token, refresh_token: data.refresh_token, user: data.user };
  setSession(s);
  return s;
}

export async function logout() {
  try {
    if (session) await run(() => api.POST('/auth/logout'));
  } catch {
    // The tokens are dropped here whatever the server says.
  }
  setSession(null);
}
