import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { PREPARE } from './prepare.js';

// PGlite is one in-process connection. Kysely's PostgresDialect wants a pg.Pool,
// so this hands the single connection to one borrower at a time: a transaction
// keeps it until release(), everyone else queues. That gives embedded mode the
// same serial semantics a real pool would give a one-connection server.
//
// Statements marked for preparing (database.ts) are prepared here too: in
// the embedded build, parsing and planning the money statements cost more
// than running them (2.4 of 3.7 ms for a one-sale batch). PGlite's query()
// always sends them unnamed, so they are prepared with PREPARE once and run
// with EXECUTE, their parameters written as literals the way node-postgres
// writes bound parameters (prepareValue) and escaped by it (escapeLiteral).
export function pglitePool(lite: PGlite) {
  let busy = false;
  const waiters: Array<() => void> = [];
  const prepared = new Map<string, string>();
  let named = 0;

  async function execute(sql: string, params: readonly unknown[]) {
    let name = prepared.get(sql);
    if (!name) {
      name = `pp_${++named}`;
      await lite.exec(`prepare ${name} as ${sql}`);
      prepared.set(sql, name);
    }
    try {
      return await lite.query(params.length ? `execute ${name}(${params.map(literal).join(', ')})` : `execute ${name}`);
    } catch (err) {
      // Gone (it cannot be, on this one session, but if it were): prepared again next time.
      if ((err as { code?: string }).code === '26000') prepared.delete(sql);
      throw err;
    }
  }

  const client = {
    async query(sql: string, params: readonly unknown[] = []) {
      if (sql.startsWith(PREPARE)) {
        const r = await execute(sql, params);
        return { command: r.command ?? '', rowCount: r.affectedRows ?? r.rows.length, rows: r.rows };
      }
      // Without parameters use the simple protocol, which accepts several
      // statements at once (migrations are plain SQL files).
      if (params.length === 0) {
        const results = await lite.exec(sql);
        const last = results[results.length - 1];
        return { command: last?.command ?? '', rowCount: last?.affectedRows ?? 0, rows: int8ToBigInt(last) };
      }
      const r = await lite.query(sql, params as unknown[]);
      return { command: r.command ?? '', rowCount: r.affectedRows ?? r.rows.length, rows: r.rows };
    },
    release() {
      const next = waiters.shift();
      if (next) next();
      else busy = false;
    },
  };

  return {
    async connect() {
      if (!busy) {
        busy = true;
        return client;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
      return client;
    },
    async end() {
      if (!lite.closed) await lite.close();
    },
  };
}

// exec() does not apply the constructor's type parsers; keep int8 as bigint
// there too, so no query path can hand a float-prone number to the service.
function int8ToBigInt(result: { rows: unknown[]; fields: { name: string; dataTypeID: number }[] } | undefined) {
  if (!result) return [];
  const int8 = result.fields.filter((f) => f.dataTypeID === 20).map((f) => f.name);
  if (int8.length === 0) return result.rows;
  return result.rows.map((row) => {
    const r = row as Record<string, unknown>;
    for (const name of int8) if (typeof r[name] === 'string' || typeof r[name] === 'number') r[name] = BigInt(r[name]);
    return r;
  });
}

// node-postgres's text form of a parameter (arrays as array literals, dates,
// JSON), as a quoted literal.
const { prepareValue } = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils;
function literal(value: unknown): string {
  const text = prepareValue(value);
  if (text === null || text === undefined) return 'NULL';
  if (typeof text !== 'string') throw new TypeError('a prepared statement parameter must have a text form');
  return pg.escapeLiteral(text);
}
