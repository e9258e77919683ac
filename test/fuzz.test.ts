import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { bearer, buildTestApp, moneyFixtures } from './helper.js';

// Hostile input, derived from the OpenAPI document (itself generated from the
// schemas that validate): every field of every body gets values of the wrong
// type, NUL bytes, oversized strings and number tricks; every path parameter
// gets junk; whole bodies get malformed shapes. Each answer must be a 4xx, and
// afterwards no balance has moved and the ledger verifies.

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  $ref?: string;
};

const NUMBER_JUNK: unknown[] = ['5', '1e3', ' 5 ', 'NaN', 'Infinity', '-0', '0x10', '١٢', true, false, null, [], [5], {}, { value: 5 }, -1, 1.001, 1e21, 0.1 + 0.2];
const STRING_JUNK: unknown[] = [5, 0, -0, 1.5, true, null, [], ['a'], {}, { $gt: '' }, 'a\u0000b', '\u0000', 'x'.repeat(70_000)];
const FORMATTED_JUNK: unknown[] = ["' OR 1=1 --", '1e3', ' 5 ', '-0', 'NaN', '../../etc/passwd', '😀', 'ＴＩＧＯ', '%00', '<script>'];
const BOOLEAN_JUNK: unknown[] = ['true', 1, 0, null, [], {}];
const OBJECT_JUNK: unknown[] = ['text', 5, true, [1, 2], { a: 'x\u0000' }, { big: 'x'.repeat(5000) }];
// Raw bodies: JSON that is not an object, broken JSON, absurd nesting, 1e309.
// Raw values swapped into each field of a valid body (API.md §6.1): nesting
// past the limit, huge counts of inexact numbers, zeros, long keys.
const RAW_FIELD_VALUES = [
  '['.repeat(65) + ']'.repeat(65),
  '['.repeat(10_000) + ']'.repeat(10_000),
  '{"a":'.repeat(70) + '1' + '}'.repeat(70),
  `[${'1e400,'.repeat(20_000)}1e400]`,
  '1e400',
  '-1e-400',
  '12345678901234567890123',
  `0.${'0'.repeat(10_000)}1`,
  `1${'0'.repeat(5_000)}.5`,
  `{"${'k'.repeat(100_000)}":[1e400,1e400]}`,
  `{"${'\\u0000'.repeat(1000)}":1}`,
];
const TOO_DEEP = (raw: string) => raw.startsWith('['.repeat(65)) || raw.startsWith('{"a":'.repeat(65));
// Unknown keys of every awkward kind, added to a body that is refused for
// its first field (so nothing may move): they must not turn that into a 500.
const AWKWARD_KEYS = [
  `"${'k'.repeat(500_000)}":1`,
  Array.from({ length: 20_000 }, (_, i) => `"k${i}":1e400`).join(','),
  `"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}`,
];
const RAW_BODIES = ['[]', 'null', '5', '"x"', 'true', '{', '{"a":}', '{"a":1,}', '[', '[]'.repeat(10), '['.repeat(20_000) + ']'.repeat(20_000), '{"monto":1e309,"amount":1e309}', '\u0000'];

const QUERY_JUNK = ['', 'abc', '-1', '0', '1.5', '1e3', 'NaN', '2025-13-01', '2025-02-30', '2025-01-01T25:00:00Z', "' OR 1=1 --", '\u0000', 'x'.repeat(300), 'true', '99999999999999999999', '😀'];

// Enough random values per field for at least 10,000 cases in all.
const RANDOM_PER_FIELD = 150;

test('hostile input never gets past validation', async () => {
  const ctx = await buildTestApp();
  const { app, adminToken, database } = ctx;
  const auth = bearer(adminToken);
  // Real objects so that a request that slipped through could move money.
  const { me, caja, session, driver, point, pending } = await moneyFixtures(ctx, 'fuzz');

  // Valid bodies: one hostile field at a time is swapped in.
  const templates: Record<string, Record<string, unknown>> = {
    'POST /recargas/cliente': { operadora: 'Tigo', numero_cliente: '78945612', monto: 1, id_caja_sesion: session.id },
    'POST /recargas/inyeccion': { operadora_destino: 'Tigo', monto: 1, id_caja_sesion: session.id },
    'POST /cajas/movimiento': { tipo: 'EGRESO', monto: 1, motivo: 'fuzz', id_sesion_caja: session.id },
    'POST /cajas': { nombre: 'Caja nueva', especialidad: 'MIXTA', saldo: 5 },
    'POST /cajas/abrir': { id_caja: caja.id, monto_inicial: 5 },
    'PATCH /cajas/sesion/{id}/cerrar': { monto_final_real: 5 },
    'POST /drivers-balance/{driverId}/topups': { collectionPointId: point.id, collectedByUserId: me.id, amount: '1.00', currency: 'CUP', notes: 'n', description: 'd', metadata: { a: 1 } },
    'POST /drivers-balance/topups/{ccrId}/confirm': { comment: 'ok' },
    'POST /drivers-balance/topups/{ccrId}/cancel': { reason: 'fuzz' },
    'POST /drivers-balance/{driverId}/debits': { amount: '1.00', type: 'commission', reference: 'r', note: 'n' },
  };
  const params: Record<string, string> = {
    id: String(session.id),
    driverId: driver.id,
    walletId: driver.walletId,
    ccrId: pending.cashCollectionRecordId,
    id_usuario: me.id,
  };

  const snapshot = async () =>
    (
      await sql<{ s: string }>`select (select count(*) from ledger_transfers)::text || '/' ||
        (select coalesce(sum(abs(posted)) + sum(pending_debits), 0) from ledger_accounts)::text as s`.execute(database.db)
    ).rows[0]!.s;
  const before = await snapshot();

  const doc = (await app.inject({ url: '/docs/json' })).json();
  const resolve = (s: JsonSchema | undefined): JsonSchema | undefined => {
    if (!s?.$ref) return s;
    return doc.components.schemas[s.$ref.split('/').pop()!];
  };
  const junkFor = (s: JsonSchema): unknown[] => {
    const r = resolve(s) ?? {};
    const alt = r.anyOf ?? r.oneOf;
    const types = new Set([r.type ?? alt?.map((a) => resolve(a)?.type)].flat(2).filter(Boolean) as string[]);
    if (types.has('number') || types.has('integer')) return NUMBER_JUNK;
    if (types.has('boolean')) return BOOLEAN_JUNK;
    if (types.has('object')) return OBJECT_JUNK;
    if (types.has('string')) return r.enum || r.pattern || r.format ? [...STRING_JUNK, ...FORMATTED_JUNK] : STRING_JUNK;
    return [];
  };

  let cases = 0;
  const fails: string[] = [];
  const expectNo5xx = async (what: string, req: InjectOptions) => {
    cases++;
    const res = await app.inject(req);
    if (res.statusCode >= 500) fails.push(`${what} → ${res.statusCode} ${res.body.slice(0, 200)}`);
    if (/at \S+ \(|select |insert |ledger_|kysely|node_modules/i.test(res.body)) fails.push(`${what} leaked internals: ${res.body.slice(0, 200)}`);
  };
  const expect4xx = async (what: string, req: InjectOptions) => {
    cases++;
    const res = await app.inject(req);
    if (res.statusCode < 400 || res.statusCode >= 500) fails.push(`${what} → ${res.statusCode} ${res.body.slice(0, 200)}`);
    if (/at \S+ \(|select |insert |ledger_|kysely|node_modules/i.test(res.body)) fails.push(`${what} leaked internals: ${res.body.slice(0, 200)}`);
  };

  for (const [path, methods] of Object.entries<Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> }; parameters?: { in: string; name: string }[] }>>(doc.paths)) {
    for (const [method, opDoc] of Object.entries(methods)) {
      const key = `${method.toUpperCase()} ${path}`;
      if (key.startsWith('GET /docs') || path === '/auth/login' || path === '/auth/refresh_token' || path === '/auth/logout') continue;
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '1');
      const m = method.toUpperCase() as 'GET' | 'POST' | 'PATCH' | 'DELETE';

      // Path parameters: junk in each position.
      for (const p of (opDoc.parameters ?? []).filter((x) => x.in === 'path')) {
        for (const junk of ['0', '-1', '1.5', '1e3', ' 5 ', 'NaN', "1' OR '1'='1", '99999999999999999999', '%00', 'x'.repeat(150), '😀', '00000000-0000-0000-0000-000000000000', 'A'.repeat(36)]) {
          const bad = path.replace(/\{(\w+)\}/g, (_, name: string) => (name === p.name ? encodeURIComponent(junk) : (params[name] ?? '1')));
          await expect4xx(`${key} ${p.name}=${junk.slice(0, 20)}`, { method: m, url: bad, headers: auth, ...(m === 'GET' || m === 'DELETE' ? {} : { payload: templates[key] ?? {} }) });
        }
      }

      // Query parameters: junk in each one, then in all of them at once (a
      // free-text one may accept it, so these must only never be a 5xx).
      const queryParams = (opDoc.parameters ?? []).filter((x) => x.in === 'query').map((x) => x.name);
      for (const junk of QUERY_JUNK) {
        const sets = [...queryParams.map((q) => [q]), ...(queryParams.length > 1 ? [queryParams] : [])];
        for (const names of sets) {
          const qs = names.map((q) => `${q}=${encodeURIComponent(junk)}`).join('&');
          await expectNo5xx(`${key} ?${qs.slice(0, 40)}`, { method: m, url: `${url}?${qs}`, headers: auth, ...(m === 'GET' || m === 'DELETE' ? {} : { payload: templates[key] ?? {} }) });
        }
      }

      const schema = resolve(opDoc.requestBody?.content['application/json']?.schema);
      if (!schema?.properties) continue;
      const template = templates[key] ?? {};
      // Each field: hand-picked junk, then random values of the wrong kind.
      for (const [field, fieldSchema] of Object.entries(schema.properties)) {
        const junk = junkFor(fieldSchema);
        for (const value of junk) {
          await expect4xx(`${key} ${field}=${JSON.stringify(value)?.slice(0, 30)}`, { method: m, url, headers: auth, payload: { ...template, [field]: value } });
        }
        const type = [resolve(fieldSchema)?.type].flat()[0];
        const wrongKind = fc.anything().filter((v) => v !== undefined && (type === 'string' ? typeof v !== 'string' : type === 'number' || type === 'integer' ? typeof v !== 'number' : type === 'boolean' ? typeof v !== 'boolean' : typeof v !== 'object' || v === null || Array.isArray(v)));
        for (const value of fc.sample(wrongKind, RANDOM_PER_FIELD)) {
          await expect4xx(`${key} ${field}=random`, { method: m, url, headers: auth, payload: { ...template, [field]: value } });
        }
      }
      for (const raw of RAW_FIELD_VALUES) {
        // In an unknown field only nesting is refused; any other value is ignored.
        for (const field of [...Object.keys(schema.properties), ...(TOO_DEEP(raw) ? ['unknownField'] : [])]) {
          const payload = JSON.stringify({ ...template, [field]: '__RAW__' }).replace('"__RAW__"', raw);
          for (const key of [undefined, `fuzz-${cases}`]) {
            await expect4xx(`${key} ${field}=raw ${raw.slice(0, 12)}…`, {
              method: m,
              url,
              headers: { ...auth, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
              payload,
            });
          }
        }
      }
      const firstField = Object.keys(schema.properties)[0]!;
      for (const keys of AWKWARD_KEYS) {
        const payload = JSON.stringify({ ...template, [firstField]: 'a\u0000b' }).replace(/^\{/, `{${keys},`);
        await expect4xx(`${key} awkward keys ${keys.slice(0, 12)}…`, { method: m, url, headers: { ...auth, 'content-type': 'application/json' }, payload });
      }
      const hasAmount = 'monto' in schema.properties || 'amount' in schema.properties;
      for (const raw of RAW_BODIES.filter((b) => hasAmount || !b.includes('1e309'))) {
        await expect4xx(`${key} raw ${raw.slice(0, 20)}`, { method: m, url, headers: { ...auth, 'content-type': 'application/json' }, payload: raw });
      }
    }
  }

  assert.ok(cases >= 10_000, `only ${cases} cases`);
  assert.deepEqual(fails, [], `${fails.length} hostile requests were not refused cleanly`);
  assert.equal(await snapshot(), before, 'no balance moved');
  const verify = await app.inject({ url: '/ledger/verify', headers: auth });
  assert.equal(verify.json().ok, true, verify.body);
  console.log(`# fuzz cases tried: ${cases}, all refused with a 4xx, balances unchanged`);
});
