import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

// helmet's security headers, computed once. (@fastify/helmet rebuilds every
// helmet middleware on each request, which cost a third of a request's CPU.)
function helmetHeaders(): Array<[string, string]> {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: string | string[]) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
    getHeader: (name: string) => headers.get(name),
  };
  // No upgrade-insecure-requests: the service is often reached over plain
  // HTTP on a shop's LAN, where upgrading the console's assets would break it.
  helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } })({} as never, res as never, () => {});
  return [...headers];
}

export function installSecurityHeaders(app: FastifyInstance) {
  const headers = Object.fromEntries(helmetHeaders());
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(headers);
  });
}
