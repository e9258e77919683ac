import { createHash, createSecretKey, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

// Access tokens: short-lived HS256 JWTs with sub (user id), sid (the login
// session they belong to) and exp. Only HS256 is accepted, so alg:none and
// algorithm-confusion tokens fail verification.
export function tokenSigner(secret: string, accessTtlSeconds: number) {
  // A KeyObject, imported once: given raw bytes, jose imports the key again on every call.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
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
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') return null;
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
