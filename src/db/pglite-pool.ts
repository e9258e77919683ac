import type { PGlite } from '@electric-sql/pglite';

// PGlite is one in-process connection. Kysely's PostgresDialect wants a pg.Pool,
// so this hands the single connection to one borrower at a time: a transaction
// keeps it until release(), everyone else queues. That gives embedded mode the
// same serial semantics a real pool would give a one-connection server.
export function pglitePool(pg: PGlite) {
  let busy = false;
  const waiters: Array<() => void> = [];

  const client = {
    async query(sql: string, params: readonly unknown[] = []) {
      // Without parameters use the simple protocol, which accepts several
      // statements at once (migrations are plain SQL files).
      if (params.length === 0) {
        const results = await pg.exec(sql);
        const last = results[results.length - 1];
        return { command: last?.command ?? '', rowCount: last?.affectedRows ?? 0, rows: int8ToBigInt(last) };
      }
      const r = await pg.query(sql, params as unknown[]);
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
      if (!pg.closed) await pg.close();
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
