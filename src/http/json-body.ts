import type { FastifyInstance, FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';
import { commonError } from '../core/errors.js';
import '../core/idempotent-route.js';

// The one body parser: JSON only (any other content type is a 400).
// - One pass over the text, without recursion, before JSON.parse: it refuses
//   nesting deeper than MAX_DEPTH (so nothing downstream — JSON.parse, the
//   Idempotency-Key comparison, validation, JSON.stringify — can be driven
//   past the stack) and finds the number literals a double cannot hold.
//   Every step costs time linear in the body's size, whatever it holds.
// - A JSON number whose text a double cannot hold exactly (10.0000000000000001,
//   12345678901234567890, 1e309) in a field the route reads is refused:
//   JSON.parse would silently round it to a nearby value, and an amount with
//   more than two decimals would then slip through as one with two. Money is
//   never rounded (API.md §0). Elsewhere it is kept as its text.
// - An empty body is no body, so routes whose fields are all optional accept
//   a client that always sends Content-Type: application/json.
// - __proto__ and constructor keys are dropped, like any unknown field.

export const MAX_DEPTH = 64;

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * A number literal as sign, significant digits and power of ten: "1.50" and
 * "15e-1" are both "15e-1". Index loops, not regular expressions: a literal
 * may be a megabyte of zeros, and a pattern like /0+$/ backtracks on it.
 */
export function canonicalDecimal(text: string): string {
  let i = 0;
  const negative = text.charCodeAt(0) === 45;
  if (negative) i++;
  const intStart = i;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  const intDigits = text.slice(intStart, i);
  let fracDigits = '';
  if (text.charCodeAt(i) === 46 /* . */) {
    const fracStart = ++i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    fracDigits = text.slice(fracStart, i);
  }
  // An exponent is at most a few digits in any literal a double can hold; a
  // longer one is out of range either way, and Number() reads it linearly.
  const exponentText = i < text.length ? text.slice(i + 1) : '0';
  const digits = intDigits + fracDigits;
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === 48) first++;
  if (first === digits.length) return '0';
  let last = digits.length;
  while (digits.charCodeAt(last - 1) === 48) last--;
  const exponent = Number(exponentText) - fracDigits.length + (digits.length - last);
  return `${negative ? '-' : ''}${digits.slice(first, last)}e${exponent}`;
}

/** Whether a double holds the literal exactly: its shortest round-trip text names the same decimal. */
function isExact(token: string): boolean {
  const value = Number(token);
  return Number.isFinite(value) && canonicalDecimal(String(value)) === canonicalDecimal(token);
}

export interface JsonScan {
  /** Deeper than MAX_DEPTH: the text is refused without being parsed. */
  tooDeep: boolean;
  /** Number literals a double does not hold exactly, in order. */
  inexact: Array<{ token: string; start: number; /** the root-level key above it, when only one object encloses it */ field?: string }>;
}

/**
 * One pass over JSON text. A malformed text is scanned as far as it goes;
 * JSON.parse then says what is wrong with it.
 */
export function scanJson(json: string): JsonScan {
  const inexact: JsonScan['inexact'] = [];
  // true for an object, false for an array, one per open container.
  const containers: boolean[] = [];
  let objects = 0;
  let expectKey = false;
  // Where the key of the outermost object's current member starts and ends.
  let fieldFrom = -1;
  let fieldTo = -1;
  let decoded: { from: number; field: string } | undefined;
  const field = () => {
    if (decoded?.from !== fieldFrom) {
      let name = '';
      try {
        name = String(JSON.parse(json.slice(fieldFrom, fieldTo)));
      } catch {
        // Malformed: the parser will say so.
      }
      decoded = { from: fieldFrom, field: name };
    }
    return decoded.field;
  };

  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 34 /* " */) {
      const from = i;
      for (i++; i < json.length && json.charCodeAt(i) !== 34; i++) if (json.charCodeAt(i) === 92 /* \ */) i++;
      if (expectKey && objects === 1) {
        fieldFrom = from;
        fieldTo = i + 1;
      }
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      if (containers.length === MAX_DEPTH) return { tooDeep: true, inexact };
      const isObject = c === 123;
      containers.push(isObject);
      if (isObject) objects++;
      expectKey = isObject;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (containers.pop()) objects--;
      expectKey = false;
    } else if (c === 44 /* , */) {
      expectKey = containers.length > 0 && containers[containers.length - 1] === true;
    } else if (c === 58 /* : */) {
      expectKey = false;
    } else if (c === 45 /* - */ || isDigit(c)) {
      NUMBER.lastIndex = i;
      const token = NUMBER.exec(json)?.[0];
      if (!token) continue;
      if (!isExact(token)) inexact.push({ token, start: i, field: objects === 1 && fieldFrom >= 0 ? field() : undefined });
      i += token.length - 1;
    }
  }
  return { tooDeep: false, inexact };
}

/** The text with each inexact number turned into a string of its exact digits. */
function quoteInexact(json: string, inexact: JsonScan['inexact']): string {
  if (inexact.length === 0) return json;
  const parts: string[] = [];
  let at = 0;
  for (const n of inexact) {
    parts.push(json.slice(at, n.start), '"', n.token, '"');
    at = n.start + n.token.length;
  }
  parts.push(json.slice(at));
  return parts.join('');
}

/** The body fields a route validates, when its schema is an object. */
function bodyFields(request: FastifyRequest): Record<string, unknown> | undefined {
  const schema = request.routeOptions?.schema?.body as { shape?: Record<string, unknown> } | undefined;
  return schema?.shape;
}


export function installJsonBodyParser(app: FastifyInstance) {
  app.decorateRequest('parsedBody', undefined);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    const scan = scanJson(text);
    // Not a validation refusal: no body was parsed to compare a retry with,
    // so it claims no Idempotency-Key.
    if (scan.tooDeep) return done(commonError('JSON_TOO_DEEP', `JSON nested deeper than ${MAX_DEPTH} levels`), undefined);
    // A number a double cannot hold is kept as its exact text, a string,
    // rather than rounded; in a field the route reads (an amount, an id) it
    // is then refused, with the body parsed, so an Idempotency-Key can
    // compare a retry with it.
    try {
      request.parsedBody = sjson.parse(quoteInexact(text, scan.inexact), null, { protoAction: 'remove', constructorAction: 'remove' });
    } catch {
      return done(commonError('INVALID_JSON', 'Body is not valid JSON'), undefined);
    }
    const fields = bodyFields(request);
    const read = scan.inexact.find((n) => n.field !== undefined && fields !== undefined && Object.hasOwn(fields, n.field));
    if (read) {
      return done(
        commonError('VALIDATION_ERROR', `The number ${read.token.slice(0, 40)} cannot be represented exactly; amounts have at most 2 decimals`),
        undefined,
      );
    }
    done(null, request.parsedBody);
  });
}
