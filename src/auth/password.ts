import { hash, verify } from '@node-rs/argon2';

// argon2id with the library's defaults (OWASP's minimum: m=19 MiB, t=2, p=1).
export const hashPassword = (password: string) => hash(password);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// Verifying against this when the email is unknown keeps the response time of
// "no such user" close to "wrong password", so timing reveals no accounts.
let dummy: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hash('timing-equaliser-not-a-password');
  await verifyPassword(await dummy, password);
}
