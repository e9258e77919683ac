import { z } from 'zod';

// Durations accept plain seconds ("900") or a unit suffix ("15m", "1h").
const duration = (maxSeconds: number, maxText: string) =>
  z
    .string()
    .regex(/^\d+\s*(s|m|h|d)?$/, 'a number of seconds, or a number with s/m/h/d')
    .transform((v) => {
      const m = /^(\d+)\s*(s|m|h|d)?$/.exec(v)!;
      const mult = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
      return Number(m[1]) * mult;
    })
    .refine((s) => s >= 10 && s <= maxSeconds, `between 10 seconds and ${maxText}`);

// A browser origin: scheme://host[:port], no path; a trailing slash is dropped.
const origin = z
  .string()
  .transform((s) => s.trim().replace(/\/$/, ''))
  .refine((s) => /^https?:\/\/[^/\s]+$/.test(s), 'origins such as https://pos.example.com, comma-separated');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  // The embedded engine's page cache (PostgreSQL shared_buffers); the files stay in the OS cache besides.
  EMBEDDED_SHARED_BUFFERS: z
    .string()
    .regex(/^\d+(kB|MB|GB)$/, 'a size such as 32MB')
    .default('32MB'),
  JWT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  JWT_ACCESS_TTL: duration(86400, '1 day').default(900),
  JWT_REFRESH_TTL: duration(90 * 86400, '90 days').default(7 * 86400),
  // Loose on purpose: the service's own default admin is admin@localhost.
  ADMIN_EMAIL: z.string().max(255).regex(/^[^\s@]+@[^\s@]+$/, 'an email address').optional(),
  ADMIN_PASSWORD: z.string().min(8, 'at least 8 characters').optional(),
  API_PREFIX: z
    .string()
    .regex(/^(\/[A-Za-z0-9._~-]+)*$/, 'empty or a path such as /api')
    .default(''),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) => s.split(',').filter((o) => o.trim() !== ''))
    .pipe(z.array(origin)),
  // Behind a reverse proxy: true, or the proxies' addresses/CIDRs
  // (comma-separated), so the login throttle sees the client's address.
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((s): boolean | string => (s === 'true' ? true : s === 'false' ? false : s)),
  DEFAULT_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'three upper-case letters (ISO 4217)')
    .default('CUP'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  // Money writes admitted at once; beyond it a write gets 503 OVERLOADED.
  MAX_QUEUED_WRITES: z.coerce.number().int().min(1).max(1_000_000).default(5000),
  // What the console shows (GET /config/public); POS_CURRENCY is for display only.
  SHOP_NAME: z.string().max(100).default('Caja'),
  POS_CURRENCY: z.string().regex(/^[A-Z]{3}$/, 'three upper-case letters (ISO 4217)').default('BOB'),
  LOCALE: z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'a locale such as es-BO').default('es-BO'),
  // "Today" and months of the reports (an IANA zone name).
  BUSINESS_TIMEZONE: z
    .string()
    .refine(isTimeZone, 'an IANA time zone name such as America/La_Paz')
    .default('America/La_Paz'),
  // Live updates and webhooks (API.md §6.5, §6.7).
  SOCKET_ANONYMOUS: z.enum(['true', 'false']).default('false').transform((s) => s === 'true'),
  MAX_SOCKETS: z.coerce.number().int().min(1).max(100_000).default(1000),
  WEBHOOK_ALLOW_INSECURE: z.enum(['true', 'false']).default('false').transform((s) => s === 'true'),
  // A delivery not answered within this is a failed attempt (the contract's 10 s).
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  // Where other processes' wake-ups are heard (LISTEN): a direct connection, not a transaction pooler.
  DATABASE_LISTEN_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
    .optional(),
  // Operations (API.md §6.6): GET /metrics needs this bearer token (404 while unset).
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  // On SIGTERM/SIGINT: how long received requests and queued writes get to finish.
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  // false behind a pooler in transaction mode: every statement unnamed.
  DB_PREPARED_STATEMENTS: z.enum(['true', 'false']).default('true').transform((s) => s === 'true'),
  // Who may buy operator float for a session (always Administrador; Operador
  // on their own session when listed).
  INJECTION_ROLES: z
    .string()
    .default('Administrador')
    .transform((s) => s.split(',').map((r) => r.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['Administrador', 'Operador'], 'only Administrador and Operador (comma-separated)')))
    .transform((roles) => [...new Set(['Administrador' as const, ...roles])]),
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export type Config = z.infer<typeof envSchema> & { corsOrigins: string[] };


export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "not set", as in most shells' `FOO= npm start`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid environment variable ${String(issue.path[0])}: ${issue.message}`);
  }
  const corsOrigins = parsed.data.CORS_ORIGINS;
  if ((parsed.data.ADMIN_EMAIL === undefined) !== (parsed.data.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError('Invalid environment variable ADMIN_PASSWORD: ADMIN_EMAIL and ADMIN_PASSWORD go together');
  }
  return { ...parsed.data, corsOrigins };
}
