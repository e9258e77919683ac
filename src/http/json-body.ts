import type { FastifyInstance, FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';
import { commonError } from './errors.js';

// The one body parser: JSON only (any other content type is a 400).
// - A JSON number whose text a double cannot hold exactly (10.0000000000000001,
//   12345678901234567890, 1e309) in a field the route reads is refused:
//   JSON.parse would silently round it to a nearby value, and an amount with
//   more than two decimals would then slip through as one with two. Money is
//   never rounded (API.md §0). Elsewhere it is kept as its text.
// - An empty body is no body, so routes whose fields are all optional accept
//   a client that always sends Content-Type: application/json.
// - __proto__ and constructor keys are dropped, like any unknown field.

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** "1.50" and "15e-1" → "15e-1": digits without leading/trailing zeros, and a power of ten. */
function canonicalDecimal(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return text;
  let digits = `${m[2]}${m[3] ?? ''}`.replace(/^0+/, '');
  if (digits === '') return '0';
  let exponent = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
  const kept = digits.replace(/0+$/, '');
  exponent += digits.length - kept.length;
  digits = kept;
  return `${m[1]}${digits}e${exponent}`;
}

interface Inexact {
  token: string;
  start: number;
  /** Object keys from the root down to the number (array positions are left out). */
  path: string[];
}

/** Every number literal (outside strings) that a double does not represent exactly, with where it sits. */
export function findInexactNumbers(json: string): Inexact[] {
  const found: Inexact[] = [];
  // One entry per open container: where the current key's text starts and
  // ends in an object (decoded only for a number that is found), null in an array.
  const keys: Array<[number, number] | null> = [];
  let expectKey = false;
  const keyText = ([from, to]: [number, number]) => {
    try {
      return String(JSON.parse(json.slice(from, to)));
    } catch {
      return ''; // Malformed: the parser will say so.
    }
  };
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 34 /* " */) {
      const from = i;
      for (i++; i < json.length && json.charCodeAt(i) !== 34; i++) if (json.charCodeAt(i) === 92 /* \ */) i++;
      if (expectKey && keys.length > 0) keys[keys.length - 1] = [from, i + 1];
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      keys.push(c === 123 ? [0, 0] : null);
      expectKey = c === 123;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      keys.pop();
      expectKey = false;
    } else if (c === 44 /* , */) {
      expectKey = keys.length > 0 && keys[keys.length - 1] !== null;
    } else if (c === 58 /* : */) {
      expectKey = false;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      NUMBER.lastIndex = i;
      const token = NUMBER.exec(json)?.[0];
      if (!token) continue;
      const value = Number(token);
      if (!Number.isFinite(value) || canonicalDecimal(String(value)) !== canonicalDecimal(token)) {
        found.push({ token, start: i, path: keys.flatMap((k) => (k ? [keyText(k)] : [])) });
      }
      i += token.length - 1;
    }
  }
  return found;
}

/** The body fields a route validates, when its schema is an object. */
function bodyFields(request: FastifyRequest): Record<string, unknown> | undefined {
  const schema = request.routeOptions?.schema?.body as { shape?: Record<string, unknown> } | undefined;
  return schema?.shape;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The body as parsed, before validation dropped unknown fields: what an Idempotency-Key compares. */
    parsedBody: unknown;
  }
}

export function installJsonBodyParser(app: FastifyInstance) {
  app.decorateRequest('parsedBody', undefined);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    let text = body as string;
    if (text.trim() === '') return done(null, undefined);
    // A number a double cannot hold is kept as its exact text, a string,
    // rather than rounded; in a field the route reads (an amount, an id) it
    // is then refused, with the body parsed, so an Idempotency-Key can
    // compare a retry with it.
    const inexact = findInexactNumbers(text);
    for (const n of [...inexact].reverse()) {
      text = `${text.slice(0, n.start)}"${n.token}"${text.slice(n.start + n.token.length)}`;
    }
    try {
      request.parsedBody = sjson.parse(text, null, { protoAction: 'remove', constructorAction: 'remove' });
    } catch {
      return done(commonError('INVALID_JSON', 'Body is not valid JSON'), undefined);
    }
    const fields = bodyFields(request);
    const read = inexact.find((n) => n.path.length === 1 && fields !== undefined && Object.hasOwn(fields, n.path[0]!));
    if (read) {
      return done(
        commonError('VALIDATION_ERROR', `The number ${read.token.slice(0, 40)} cannot be represented exactly; amounts have at most 2 decimals`),
        undefined,
      );
    }
    done(null, request.parsedBody);
  });
}
