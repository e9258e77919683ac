import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../db/transaction.js';

// Prometheus metrics (API.md §6.6) at GET /metrics, behind METRICS_TOKEN
// (404 while it is unset). No label carries an id: routes are labelled by
// their pattern, and requests that matched none by `unmatched`.

export interface MetricSources {
  db: Db;
  /** Money writes admitted and not yet answered. */
  queuedWrites: () => number;
  /** The server pool's connections (none for the embedded engine). */
  pool?: (() => { inUse: number; idle: number; waiting: number }) | undefined;
  /** Connected live-update sockets. */
  sockets: () => number;
}

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const batchSize = new Histogram({
    name: 'ledger_write_batch_size',
    help: 'Money writes decided together in one group-commit batch',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers,
  });
  const queueWait = new Histogram({
    name: 'ledger_write_queue_wait_seconds',
    help: 'How long a money write waited in the queue for its batch',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  const webhookAttempts = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, retry (failed, tried again later), failed (given up)',
    labelNames: ['outcome'] as const,
    registers,
  });
  for (const outcome of ['delivered', 'retry', 'failed']) webhookAttempts.inc({ outcome }, 0);

  return {
    registry,
    /** Times every answered request. */
    install(app: FastifyInstance) {
      app.addHook('onResponse', async (request, reply) => {
        const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
        requests.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      });
    },
    batch(size: number, waitedMs: number[]) {
      batchSize.observe(size);
      for (const ms of waitedMs) queueWait.observe(ms / 1000);
    },
    webhook(outcome: 'delivered' | 'retry' | 'failed') {
      webhookAttempts.inc({ outcome });
    },
    /** Gauges read when scraped. */
    sources(s: MetricSources) {
      new Gauge({ name: 'ledger_queued_writes', help: 'Money writes admitted and not yet answered', registers, collect() {
        this.set(s.queuedWrites());
      } });
      new Gauge({ name: 'live_sockets', help: 'Connected live-update sockets', registers, collect() {
        this.set(s.sockets());
      } });
      if (s.pool) {
        const pool = s.pool;
        new Gauge({ name: 'db_pool_connections', help: 'Database pool connections: in_use, idle, and requests waiting for one', labelNames: ['state'] as const, registers, collect() {
          const p = pool();
          this.set({ state: 'in_use' }, p.inUse);
          this.set({ state: 'idle' }, p.idle);
          this.set({ state: 'waiting' }, p.waiting);
        } });
      }
      new Gauge({
        name: 'webhook_outbox_backlog_events',
        help: "Events written after the slowest webhook's cursor (0 without webhooks)",
        registers,
        async collect() {
          // The database away must not cost the whole page (the other metrics matter most then): no sample.
          try {
            const { rows } = await sql<{ lag: string | null }>`
              select ((select coalesce(max(id), 0) from outbox_events) - (select min(delivered_through) from webhooks where deleted_at is null))::text as lag`.execute(s.db);
            this.set(Number(rows[0]?.lag ?? 0));
          } catch {
            this.reset();
          }
        },
      });
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

/** GET /metrics, text/plain, with `Authorization: Bearer <METRICS_TOKEN>`; not registered without a token. */
export function metricsRoute(app: FastifyInstance, metrics: Metrics, token: string | undefined) {
  if (!token) return;
  const expected = Buffer.from(`Bearer ${token}`);
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(401).type('text/plain; charset=utf-8').send('unauthorized: Authorization: Bearer <METRICS_TOKEN>\n');
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
