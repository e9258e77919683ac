import type { Actor } from '../core/actor.js';

// Who is behind a login session, remembered briefly: otherwise every request
// pays a database round trip before doing any work. Every local change that
// must end access (logout, deactivation, role or password change, refresh
// reuse) drops the entries at once; another process sharing the database
// sees such a change within `ttlMs` (1.5 s: API.md asks for 2 s, with room for the request).
// Created by the app, one per service.

export function createActorCache({ ttlMs = 1500, max = 10_000 } = {}) {
  const entries = new Map<string, { actor: Actor; until: number }>();
  // Bumped on every forget, so a lookup that raced a revocation is not cached.
  let revocations = 0;

  return {
    get(sessionId: string, userId: string): Actor | undefined {
      const hit = entries.get(sessionId);
      return hit && hit.until > Date.now() && hit.actor.id === userId ? hit.actor : undefined;
    },
    /** The epoch to pass to `set`: a lookup started before a revocation is not kept. */
    epoch: () => revocations,
    set(actor: Actor, epoch: number) {
      if (epoch !== revocations) return;
      if (entries.size >= max) entries.delete(entries.keys().next().value!);
      entries.set(actor.sessionId, { actor, until: Date.now() + ttlMs });
    },
    forgetSession(sessionId: string) {
      revocations++;
      entries.delete(sessionId);
    },
    forgetUser(userId: string) {
      revocations++;
      for (const [sid, entry] of entries) if (entry.actor.id === userId) entries.delete(sid);
    },
  };
}

export type ActorCache = ReturnType<typeof createActorCache>;
