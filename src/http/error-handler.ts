import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ReplayedResponse, commonError } from './errors.js';
import { errorBody, requestFamily } from './family.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
}

/** Fastify/Zod validation output → a 400 naming each field, never echoing input. */
export function validationError(err: { validation: ValidationIssue[]; validationContext?: string }) {
  const details = err.validation.map((issue) => {
    const path = (issue.instancePath ?? '').split('/').filter(Boolean).join('.');
    const field = path || err.validationContext || 'request';
    return { field, message: `${field}: ${issue.message ?? 'is invalid'}` };
  });
  return commonError('VALIDATION_ERROR', details.map((d) => d.message).join('; ') || 'Invalid request', details);
}

// Fastify's own client errors (body parsing, limits) by code.
function fromFastify(err: FastifyError): DomainError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return commonError('INVALID_JSON', 'Body is not valid JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return commonError('PAYLOAD_TOO_LARGE', 'Request body is larger than 1 MiB');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return commonError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
  if (err instanceof SyntaxError) return commonError('INVALID_JSON', 'Body is not valid JSON');
  if (err.statusCode === 413) return commonError('PAYLOAD_TOO_LARGE', 'Request body is larger than 1 MiB');
  return undefined;
}

export function toDomainError(err: unknown): DomainError | undefined {
  if (err instanceof DomainError) return err;
  const fe = err as FastifyError & { validation?: ValidationIssue[] };
  if (fe && Array.isArray(fe.validation)) return validationError(fe as never);
  if (fe && typeof fe === 'object' && 'code' in fe) return fromFastify(fe);
  return undefined;
}

/** Claims a keyed request's Idempotency-Key with its validation refusal; what to answer instead, if anything (idempotency.ts). */
export type ClaimKeyWithRefusal = (request: FastifyRequest, refusal: DomainError) => Promise<Error | 'stored' | undefined>;

/** JSON already rendered, sent as is: a stored response goes out byte for byte as it was stored. */
const sendText = (reply: FastifyReply, status: number, text: string) =>
  reply.code(status).type('application/json; charset=utf-8').serializer((p: unknown) => p as string).send(text);

export function installErrorHandling(app: FastifyInstance, prefix: string, claimKeyWithRefusal?: ClaimKeyWithRefusal) {
  app.decorateRequest('family', 'pos');
  app.addHook('onRequest', async (request) => {
    request.family = requestFamily(request, prefix);
  });
  const replay = (reply: FastifyReply, err: ReplayedResponse) => sendText(reply.header('idempotent-replayed', 'true'), err.status, err.body);

  app.setErrorHandler(async (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ReplayedResponse) return replay(reply, err);
    // Errors raised before onRequest ran (e.g. a bad URL) have no family yet.
    const family = requestFamily(request, prefix);
    let domain = toDomainError(err);
    if (domain?.code === 'VALIDATION_ERROR' && claimKeyWithRefusal) {
      let instead: Error | 'stored' | undefined;
      try {
        instead = await claimKeyWithRefusal(request, domain);
      } catch (claimErr) {
        // Not stored: a 5xx, so a retry runs again (API.md §0).
        err = claimErr;
        domain = undefined;
      }
      if (instead instanceof ReplayedResponse) return replay(reply, instead);
      // The same text as stored (idempotency.ts renders it so), so a replay of it is byte-identical.
      if (instead === 'stored') return sendText(reply, domain!.status, JSON.stringify(errorBody(request.family, domain!)));
      if (instead) domain = toDomainError(instead);
    }
    if (domain) {
      if (domain.status >= 500) request.log.error({ err }, 'domain error with server status');
      return reply.code(domain.status).send(errorBody(family, domain));
    }
    // Anything else is a bug or an infrastructure failure: log it whole,
    // answer with nothing that names code, SQL or tables.
    request.log.error({ err }, 'unhandled error');
    const status = 500;
    const body =
      family === 'wallet'
        ? { success: false, message: 'Internal Server Error', error: { code: 'INTERNAL_ERROR' } }
        : { statusCode: status, message: 'Internal Server Error', error: 'Internal Server Error' };
    return reply.code(status).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const family = requestFamily(request, prefix);
    reply.code(404).send(errorBody(family, commonError('NOT_FOUND', `Cannot ${request.method} ${request.url.split("?", 1)[0]!.slice(0, 200)}`)));
  });
}
