import { randomUUID } from 'node:crypto';
import net from 'node:net';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { bearerToken, installAuth } from './auth/auth.hook.js';
import { authRoutes, usersRoutes } from './auth/auth.routes.js';
import { authServiceFactory } from './auth/auth.service.js';
import { tokenSigner } from './auth/tokens.js';
import { usersServiceFactory } from './auth/users.service.js';
import { cajasRoutes } from './cajas/cajas.routes.js';
import { cajasServiceFactory } from './cajas/cajas.service.js';
import { isConsoleRoute, registerConsole } from './http/console.routes.js';
import { allChecks } from './checks.js';
import type { Config } from './config.js';
import type { Db } from './db/transaction.js';
import { installErrorHandling, sendDomainError } from './http/error-handler.js';
import { commonError, unauthorized } from './core/errors.js';
import { errorBody, requestFamily } from './core/family.js';
import { installJsonBodyParser } from './http/json-body.js';
import { claimKeyWithRefusal, installIdempotency } from './core/idempotent-route.js';
import { createActorCache } from './auth/actor-cache.js';
import { sessionsServiceFactory } from './cajas/sessions.service.js';
import { worldAccountOf } from './ledger/ledger.js';
import { configRoutes } from './http/config.routes.js';
import { healthRoutes } from './http/health.routes.js';
import { installSecurityHeaders } from './http/security-headers.js';
import { installWriteAdmission, shuttingDown } from './http/write-admission.js';
import { createMetrics, metricsRoute, type MetricSources } from './http/metrics.js';
import { ledgerRoutes } from './http/ledger.routes.js';
import { recargasRoutes } from './recargas/recargas.routes.js';
import { recargasServiceFactory } from './recargas/recargas.service.js';
import { reportesRoutes } from './reportes/reportes.routes.js';
import { reportesServiceFactory } from './reportes/reportes.service.js';
import { walletsRoutes } from './wallets/wallets.routes.js';
import { walletsServiceFactory } from './wallets/wallets.service.js';
import { outboxSignal } from './core/events.js';
import { crossProcessWakeups } from './core/wakeups.js';
import { startLive } from './live/live.js';
import { DEFAULT_TIMING, startDelivery, type Delivery, type DeliveryTiming } from './webhooks/delivery.js';
import { webhooksRoutes } from './webhooks/webhooks.routes.js';
import { webhooksServiceFactory } from './webhooks/webhooks.service.js';

export interface AppOptions {
  config: Config;
  db: Db;
  jwtSecret: string;
  logger?: FastifyServerOptions['logger'];
  /**
   * False while the server is still reaching its database (server.ts starts
   * listening first): until then every route but /health answers 503, and
   * /ready says it is starting.
   */
  available?: () => boolean;
  /** The built console (default web/dist). */
  webDir?: string;
  /** PostgreSQL to LISTEN on for other processes' events (DATABASE_LISTEN_URL or DATABASE_URL); none for the embedded engine. */
  listenUrl?: string | undefined;
  /** Webhook retry timing (tests shorten it). */
  webhookTiming?: DeliveryTiming;
  /** The server pool's connections, for /metrics. */
  poolStats?: MetricSources['pool'];
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

// The POS seed carries no currency; its accounts (cajas, operator floats and
// world:BOB) are created in BOB by migration 002, so this is not configurable.
const POS_LEDGER_CURRENCY = 'BOB';

/**
 * One log line per request, written when it completes, with the request in
 * it, instead of Fastify's two: the log costs half the writes on the hot
 * path. Its fields are flat values rather than the request and reply run
 * through their serializers and the redaction of their headers (which the
 * line does not carry): that was half the line's cost, 5 % of a read's.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest() {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    const line = { method: request.method, url: request.url, statusCode: reply.statusCode, responseTime: reply.elapsedTime, remoteAddress: request.ip };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

/** Builds the whole service; the composition root. server.ts only starts it. */
export async function buildApp({ config, db, jwtSecret, logger = false, available, webDir, listenUrl, webhookTiming, poolStats }: AppOptions) {
  const auth = authServiceFactory({
    db,
    signer: tokenSigner(jwtSecret, config.JWT_ACCESS_TTL),
    refreshTtlSeconds: config.JWT_REFRESH_TTL,
    actors: createActorCache(),
  });
  const app = Fastify({
    logger,
    logController: new OneLinePerRequest(),
    bodyLimit: 1024 * 1024,
    requestIdHeader: 'x-request-id',
    trustProxy: config.TRUST_PROXY,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: 200 },
    // While closing, a request that still arrives on an open connection is
    // served like any other (its answer closes the connection), not refused.
    return503OnClosing: false,
    // A URL the router cannot even read (bad percent-encoding, an over-long
    // parameter) is a 400 in the route's family, like any other bad input;
    // but the token is checked first, as on every route (401 → 403 → 400).
    frameworkErrors: (_error, request, reply) => {
      const family = requestFamily(request as FastifyRequest, config.API_PREFIX);
      const token = bearerToken(request.headers.authorization);
      void (token ? auth.authenticate(token) : Promise.resolve(null)).then(
        (actor) =>
          (reply as FastifyReply)
            .code(actor ? 400 : 401)
            .send(errorBody(family, actor ? commonError('VALIDATION_ERROR', 'Malformed URL') : unauthorized())),
        (err: unknown) => (reply as FastifyReply).send(err),
      );
    },
  }).withTypeProvider<ZodTypeProvider>();

  installJsonBodyParser(app);
  const metrics = createMetrics();
  metrics.install(app);

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installIdempotency(app);
  const writes = installWriteAdmission(app, config.MAX_QUEUED_WRITES);
  installErrorHandling(app, config.API_PREFIX, (request, refusal) => claimKeyWithRefusal(db, request, refusal));
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // A shutdown (server.ts): /ready says so first, so a balancer stops
  // sending; every answer then closes its connection.
  let stopping = false;
  let inFlight = 0;
  app.addHook('onRequest', async (request, reply) => {
    inFlight++;
    // Once per response, sent or aborted.
    reply.raw.once('close', () => inFlight--);
    if (stopping && request.routeOptions.url === `${config.API_PREFIX}/ready`) {
      return reply.code(503).header('retry-after', '1').send({ status: 'shutting down' });
    }
  });
  app.addHook('onSend', async (_request, reply) => {
    if (stopping) reply.header('connection', 'close');
  });
  if (available) {
    // Before the token check, which needs the database too.
    app.addHook('onRequest', async (request, reply) => {
      if (available() || request.is404 || request.routeOptions.url === `${config.API_PREFIX}/health`) return;
      if (request.routeOptions.url === `${config.API_PREFIX}/ready`) return reply.code(503).header('retry-after', '1').send({ status: 'starting' });
      return sendDomainError(reply, request.family, commonError('SERVICE_STARTING', 'The service is starting: its database is not reachable yet'));
    });
  }

  // Every route, as registered: the authorization matrix test walks this table.
  const routeTable: { method: string; url: string; roles?: readonly string[]; public: boolean }[] = [];
  // Docs are public; every other route needs a token unless it says so.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...route.config, public: true };
    // The web console's static files (/, /index.html, /assets/*) are public and not API routes.
    if (isConsoleRoute(route.url)) {
      route.config = { ...route.config, public: true };
      return;
    }
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD' && method !== 'OPTIONS') {
        routeTable.push({ method, url: route.url, roles: route.config?.roles, public: Boolean(route.config?.public) });
      }
    }
  });

  installSecurityHeaders(app);
  // Without allowed origins there is nothing to answer (a preflight is a
  // 404 either way), and the plugin's hook cost every request 4 % of a read.
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
      exposedHeaders: ['x-request-id', 'idempotent-replayed', 'x-total-count', 'retry-after'],
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Cash desk & wallet ledger',
        version: '1.0.0',
        description:
          'Cash registers, mobile top-ups (recargas) and driver wallets on one double-entry ledger. ' +
          'Money routes accept an optional Idempotency-Key header (1–255 characters, no control characters, scoped to user, ' +
          'method and path): a retry with the same body (compared as parsed JSON) replays the first response, ' +
          '4xx refusals included (a 400 from validation too), with the header idempotent-replayed: true; another body ' +
          'is a 422; a twin still in flight is a 409. A request refused before its body could be compared (401, 403 for ' +
          'the role, malformed JSON, a content type other than JSON, a body over 1 MiB) takes no key. ' +
          'POS amounts are JSON numbers with at most two decimals; wallet amounts are decimal strings ("150.00"); ' +
          'a number literal a double cannot hold exactly is a 400 in a field the route reads. See the README for the rules.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  const users = usersServiceFactory({ db, revokeSessions: auth.revokeSessions });
  const posWorld = worldAccountOf(db, POS_LEDGER_CURRENCY);
  const cajas = cajasServiceFactory({ db, currency: POS_LEDGER_CURRENCY, worldAccount: posWorld });
  const sessions = sessionsServiceFactory({ db, worldAccount: posWorld });
  const recargas = recargasServiceFactory({ db, onBatch: metrics.batch });
  const reportes = reportesServiceFactory({ db, timezone: config.BUSINESS_TIMEZONE });
  const wallets = walletsServiceFactory({ db, users, defaultCurrency: config.DEFAULT_CURRENCY });
  installAuth(app, auth);

  // Events: written by the services in their transactions; after a write is
  // answered this process's readers look at once, other processes on a NOTIFY.
  const signal = outboxSignal();
  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'GET' && reply.statusCode < 500) signal.raise();
  });
  const wakeups = crossProcessWakeups({ db, signal, listenUrl, log: app.log });
  const live = startLive({
    db,
    server: app.server,
    prefix: config.API_PREFIX,
    corsOrigins: config.corsOrigins,
    anonymous: config.SOCKET_ANONYMOUS,
    maxSockets: config.MAX_SOCKETS,
    auth,
    wakeups,
    log: app.log,
  });
  let delivery: Delivery | null = null;
  /** Starts webhook delivery once the database is there (server.ts, after migrations; otherwise when the app is ready). */
  const startBackground = () => {
    delivery ??= startDelivery({
      db,
      wakeups,
      log: app.log,
      allowInsecure: config.WEBHOOK_ALLOW_INSECURE,
      timing: webhookTiming ?? { ...DEFAULT_TIMING, timeoutMs: config.WEBHOOK_TIMEOUT_MS },
      onOutcome: metrics.webhook,
    });
  };
  const webhooks = webhooksServiceFactory({ db, allowInsecure: config.WEBHOOK_ALLOW_INSECURE, onCreated: () => delivery?.activate(), onDeleted: (id) => delivery?.drop(id) });
  app.addHook('onReady', async () => {
    if (!available) startBackground();
  });
  // Sockets first: open connections would keep the HTTP server from closing.
  app.addHook('preClose', async () => live.close());
  app.addHook('onClose', async () => {
    await delivery?.stop();
    await wakeups.close();
  });

  await app.register(
    async (api) => {
      await api.register(healthRoutes, { db });
      await api.register(configRoutes, {
        shopName: config.SHOP_NAME,
        posCurrency: config.POS_CURRENCY,
        timezone: config.BUSINESS_TIMEZONE,
        locale: config.LOCALE,
      });
      await api.register(authRoutes, { auth });
      await api.register(usersRoutes, { users });
      await api.register(ledgerRoutes, { db, checks: allChecks });
      await api.register(cajasRoutes, { cajas, sessions });
      await api.register(recargasRoutes, { recargas, injectionRoles: config.INJECTION_ROLES });
      await api.register(reportesRoutes, { reportes });
      await api.register(walletsRoutes, { wallets });
      await api.register(webhooksRoutes, { webhooks });
    },
    { prefix: config.API_PREFIX },
  );
  metrics.sources({ db, queuedWrites: () => writes.queued, pool: poolStats, sockets: live.connected });
  metricsRoute(app, metrics, config.METRICS_TOKEN);
  await registerConsole(app, { apiPrefix: config.API_PREFIX, webDir });

  return Object.assign(app, {
    services: { auth, users, cajas, sessions, recargas, reportes, wallets, webhooks },
    routeTable,
    writes,
    live,
    startBackground,
    delivery: () => delivery,
    /**
     * A shutdown starts: /ready answers 503, the listener stops (a new
     * connection is refused), and the connections already open are served,
     * each answer closing its connection. Closing the idle ones waits for
     * app.close(): a request already sent on one but not yet read (the
     * embedded engine can keep the event loop busy) is served, not reset.
     */
    beginShutdown() {
      stopping = true;
      net.Server.prototype.close.call(app.server);
    },
    /** Requests received and not yet answered. */
    inFlight: () => inFlight,
    /** A shutdown's time is up: writes not yet started are refused with 503 and write nothing. */
    refuseNewWrites() {
      writes.stop();
      recargas.abortQueued(shuttingDown());
      wallets.topups.abortQueued(shuttingDown());
    },
  });
}

export type App = Awaited<ReturnType<typeof buildApp>>;
