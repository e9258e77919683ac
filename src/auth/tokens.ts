import { createHash, createSecretKey, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);

// Access tokens: short-lived HS256 JWTs with sub (user id), sid (the login
// session they belong to) and exp. Only HS256 is accepted, so alg:none and
// algorithm-confusion tokens fail verification.
export function tokenSigner(secret: string, accessTtlSeconds: number) {
  // A KeyObject, imported once: given raw bytes, jose imports the key again on every call.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  // A token's signature check is pure, and costs ~0.2 ms through WebCrypto:
  // remember the tokens that passed (bounded), and check their expiry on each use.
  const verified = new Map<string, { userId: string; sessionId: string; exp: number }>();
  const MAX_VERIFIED = 10_000;
  return {
    async sign(userId: string, sessionId: string, role: string): Promise<string> {
      return new SignJWT({ sid: sessionId, role })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(`${accessTtlSeconds}s`)
        .sign(key);
    },
    async verify(token: string): Promise<{ userId: string; sessionId: string } | null> {
      const known = verified.get(token);
      if (known) {
        if (known.exp * 1000 > Date.now()) return { userId: known.userId, sessionId: known.sessionId };
        verified.delete(token);
        return null;
      }
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
        // Correctly signed but malformed claims are refused here, before they reach a uuid column.
        if (!isUuid(payload.sub) || !isUuid(payload.sid) || typeof payload.exp !== 'number') return null;
        if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
        verified.set(token, { userId: payload.sub, sessionId: payload.sid, exp: payload.exp });
        return { userId: payload.sub, sessionId: payload.sid };
      } catch {
        return null;
      }
    },
  };
}
export type TokenSigner = ReturnType<typeof tokenSigner>;

/** Opaque refresh token; only its SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('hex');
