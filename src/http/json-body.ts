import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { commonError } from './errors.js';

// The one body parser: JSON only (any other content type is a 415).
// - A JSON number whose text a double cannot hold exactly (10.0000000000000001,
//   12345678901234567890, 1e309) is refused: JSON.parse would silently round
//   it to a nearby value, and an amount with more than two decimals would then
//   slip through as one with two. Money is never rounded (API.md §0).
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

/** The first number literal (outside strings) that a double does not represent exactly. */
export function findInexactNumber(json: string): string | undefined {
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < json.length && json.charCodeAt(i) !== 34; i++) if (json.charCodeAt(i) === 92 /* \ */) i++;
      continue;
    }
    if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      NUMBER.lastIndex = i;
      const token = NUMBER.exec(json)?.[0];
      if (!token) continue;
      const value = Number(token);
      if (!Number.isFinite(value) || canonicalDecimal(String(value)) !== canonicalDecimal(token)) return token;
      i += token.length - 1;
    }
  }
  return undefined;
}

export function installJsonBodyParser(app: FastifyInstance) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    const inexact = findInexactNumber(text);
    if (inexact !== undefined) {
      return done(commonError('VALIDATION_ERROR', `The number ${inexact.slice(0, 40)} cannot be represented exactly; amounts have at most 2 decimals`), undefined);
    }
    try {
      done(null, sjson.parse(text, null, { protoAction: 'remove', constructorAction: 'remove' }));
    } catch {
      done(commonError('INVALID_JSON', 'Body is not valid JSON'), undefined);
    }
  });
}
