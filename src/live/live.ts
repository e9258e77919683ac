import type { Server as HttpServer } from 'node:http';
import { decodeJwt } from 'jose';
import { Server, type Namespace, type Socket } from 'socket.io';
import type { FastifyBaseLogger } from 'fastify';
import type { AuthService } from '../auth/auth.service.js';
import { DATA_CHANGED, type OutboxEvent } from '../core/events.js';
import { latestEventId, outboxReader } from '../core/outbox-reader.js';
import type { Actor } from '../core/actor.js';
import type { Db } from '../db/transaction.js';
import { eventMessage, ROOM_ALL, ROOM_ANONYMOUS, ROOM_OPERADORES, roomsFor, roomsOf } from './audience.js';
import type { Wakeups } from '../core/wakeups.js';

// Live updates over Socket.IO (API.md §6.5, §6.7). Each process reads the
// outbox (the events every process's transactions wrote) and tells its own
// sockets; PostgreSQL carries the wake-ups between processes (core/wakeups.ts),
// the outbox itself the events, so every process delivers every event.
//
// - Anonymous sockets (SOCKET_ANONYMOUS=true only) get `dataChanged
//   {entity, action}` for cajas and floats: no amounts, no people; at most
//   one per entity and action per second.
// - A socket with `auth: {token}` gets `dataChanged` and `event` messages
//   for what its role may see (audience.ts); it is disconnected at its
//   token's expiry and within a second or two of a logout, deactivation or
//   role change. A bad token gets connect_error.

export interface LiveOptions {
  db: Db;
  server: HttpServer;
  prefix: string;
  corsOrigins: string[];
  anonymous: boolean;
  maxSockets: number;
  auth: AuthService;
  wakeups: Wakeups;
  log: FastifyBaseLogger;
}

interface Viewer {
  actor: Actor;
  /** The Conductor's driver id. */
  driverId: string | null;
}

const POLL_MS = 1000;
const REVALIDATE_MS = 1000;
const ANONYMOUS_MS = 1000;
const CHANGED_MS = 250;

export function startLive(opts: LiveOptions) {
  const { db, log } = opts;
  const paths = [...new Set(['/socket.io', `${opts.prefix}/socket.io`])];
  let sockets = 0;
  const servers = paths.map(
    (path) =>
      new Server(opts.server, {
        path,
        cors: { origin: opts.corsOrigins.length > 0 ? opts.corsOrigins : false },
        // Two servers share the HTTP server: neither may destroy the other's upgrades.
        destroyUpgrade: false,
        allowRequest: (_req, done) => done(null, sockets < opts.maxSockets),
        // The console bundles its own client; serving it would also read files the server bundle (dist/bin) does not carry.
        serveClient: false,
      }),
  );
  const namespaces: Namespace[] = servers.flatMap((io) => [...new Set(['/', opts.prefix || '/'])].map((n) => io.of(n)));
  const viewers = new Map<Socket, Viewer>();

  for (const ns of namespaces) {
    ns.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      if (token === undefined || token === null || token === '') {
        return opts.anonymous ? next() : next(new Error('unauthorized: connect with auth {token}'));
      }
      if (typeof token !== 'string') return next(new Error('unauthorized'));
      void opts.auth.authenticate(token).then(async (actor) => {
        if (!actor) return next(new Error('unauthorized'));
        const driverId = actor.role === 'Conductor' ? ((await db.selectFrom('drivers').select('id').where('user_id', '=', actor.id).executeTakeFirst())?.id ?? null) : null;
        socket.data.viewer = { actor, driverId } satisfies Viewer;
        socket.data.exp = decodeJwt(token).exp;
        next();
      }, next);
    });
    ns.use((_socket, next) => void reader.position().then(() => next(), next));
    ns.on('connection', (socket) => {
      sockets++;
      const viewer = socket.data.viewer as Viewer | undefined;
      if (viewer) {
        viewers.set(socket, viewer);
        void socket.join(roomsOf(viewer));
        const ms = Number(socket.data.exp) * 1000 - Date.now();
        const expiry = setTimeout(() => socket.disconnect(true), Math.max(0, ms));
        socket.once('disconnect', () => clearTimeout(expiry));
      } else void socket.join(ROOM_ANONYMOUS);
      socket.once('disconnect', () => {
        sockets--;
        viewers.delete(socket);
        if (sockets === 0) reader.forget();
      });
      void reader.position();
    });
  }

  // ---- sending: to rooms, so each message is encoded once for all its sockets.
  // dataChanged says "look again": at most one per room, entity and action
  // per window (trailing, so the last change is always told); anonymous
  // sockets get a second's window (API.md §6.7), the others a quarter.
  const lastSent = new Map<string, number>();
  const pendingSend = new Map<string, NodeJS.Timeout>();
  const inRoom = (ns: Namespace, room: string) => (ns.adapter.rooms.get(room)?.size ?? 0) > 0;
  const occupied = (room: string) => namespaces.some((ns) => inRoom(ns, room));
  function dataChanged(room: string, entity: string, action: string, windowMs: number) {
    if (!occupied(room)) return;
    const key = `${room}|${entity}|${action}`;
    const send = () => {
      lastSent.set(key, Date.now());
      pendingSend.delete(key);
      for (const ns of namespaces) ns.to(room).emit('dataChanged', { entity, action });
    };
    const wait = (lastSent.get(key) ?? 0) + windowMs - Date.now();
    if (wait <= 0) send();
    else if (!pendingSend.has(key)) pendingSend.set(key, setTimeout(send, wait));
  }

  function deliver(e: OutboxEvent) {
    const rooms = roomsFor(e.audience);
    // A broadcast encodes its message before it looks at the rooms: skip the ones nobody is in.
    const message = eventMessage(e);
    for (const ns of namespaces) {
      const present = rooms.filter((r) => inRoom(ns, r));
      if (present.length > 0) ns.to(present).emit('event', message);
    }
    for (const c of DATA_CHANGED[e.type] ?? []) {
      if (c.entity === 'wallet') {
        for (const room of rooms) dataChanged(room, c.entity, c.action, CHANGED_MS);
      } else {
        // Cajas and floats: every screen of the POS; anonymous sockets too.
        for (const room of [ROOM_ALL, ROOM_OPERADORES]) dataChanged(room, c.entity, c.action, CHANGED_MS);
        dataChanged(ROOM_ANONYMOUS, c.entity, c.action, ANONYMOUS_MS);
      }
    }
  }

  // ---- the reader: from the newest event when a socket connects and nobody
  // was listening (not from the backlog written meanwhile). The position is
  // taken before the socket's connect is acknowledged, so whatever its
  // client causes afterwards has a later id and reaches it.
  const reader = (() => {
    const outbox = outboxReader(db);
    let cursor: bigint | null = null;
    let running = false;
    let again = false;
    let poll: NodeJS.Timeout | undefined;
    async function drain() {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          while (cursor !== null) {
            const from: bigint = cursor;
            const events = await outbox.next(from, 500);
            if (cursor !== from) break; // repositioned meanwhile
            for (const e of events) deliver(e);
            if (events.length > 0) cursor = events[events.length - 1]!.id;
            if (events.length < 500) break;
          }
        } while (again);
      } catch (err) {
        log.warn({ err }, 'live updates: reading events failed; retrying');
      } finally {
        running = false;
      }
    }
    return {
      async position() {
        if (cursor !== null) return;
        const latest = await latestEventId(db);
        cursor ??= latest;
        if (!poll) {
          poll = setInterval(() => void drain(), POLL_MS);
          poll.unref();
        }
      },
      wake: () => {
        if (cursor !== null) void drain();
      },
      /** The last socket left. */
      forget: () => {
        cursor = null;
      },
      stop: () => clearInterval(poll),
    };
  })();

  // ---- logins that ended elsewhere: checked against the database every second
  const revalidate = setInterval(() => {
    // Windows that have passed need no memory.
    const now = Date.now();
    for (const [key, at] of lastSent) if (now - at > ANONYMOUS_MS && !pendingSend.has(key)) lastSent.delete(key);
    if (viewers.size === 0) return;
    const logins = [...viewers.values()].map((v) => ({ sessionId: v.actor.sessionId, userId: v.actor.id, role: v.actor.role }));
    opts.auth.stillValid(logins).then(
      (valid) => {
        for (const [socket, v] of viewers) if (!valid.has(v.actor.sessionId)) socket.disconnect(true);
      },
      (err: unknown) => log.warn({ err }, 'live updates: checking logins failed'),
    );
  }, REVALIDATE_MS);
  revalidate.unref();

  const unsubscribe = opts.wakeups.subscribe(reader.wake);

  return {
    connected: () => sockets,
    async close() {
      clearInterval(revalidate);
      reader.stop();
      for (const t of pendingSend.values()) clearTimeout(t);
      unsubscribe();
      // Not io.close(): that closes the HTTP server too, which the app closes itself.
      for (const io of servers) {
        io.disconnectSockets(true);
        io.engine.close();
      }
    },
  };
}
export type Live = ReturnType<typeof startLive>;
