// The mixed load of `npm run bench`: 64 cashiers, each logged in and selling
// on a session of their own, spread over the three operators, while the
// back office takes cash top-ups for drivers and confirms each one. Sales
// and wallet credits share the server, the pool and the write path.
import autocannon from 'autocannon';

const OPERATORS = ['Tigo', 'Entel', 'Viva'] as const;

/** A parsed response body. */
type Json = ReturnType<typeof JSON.parse>;
type Call = (method: string, path: string, token?: string, body?: unknown) => Promise<Json>;

export interface MixedSetup {
  cashiers: Array<{ token: string; session: number }>;
  /** A driver and a collection point per back-office connection. */
  drivers: string[];
  points: string[];
  adminId: string;
}

/**
 * Cashiers with an open session each, funded floats, and a driver and a
 * collection point for each back-office connection: cash is counted at a
 * desk, one top-up at a time, so each desk (point) takes its own.
 */
export async function setupMixed(must: Call, adminToken: string, adminSession: number, cashiers: number, drivers: number): Promise<MixedSetup> {
  const stamp = Date.now();
  const adminId: string = (await must('GET', '/auth/me', adminToken)).id;
  for (const op of OPERATORS) await must('POST', '/recargas/inyeccion', adminToken, { operadora_destino: op, monto: 200_000, id_caja_sesion: adminSession });
  const made = await Promise.all(
    Array.from({ length: cashiers }, async (_, i) => {
      const user = { email: `mixed-${stamp}-${i}@bench.local`, password: 'bench-cashier-1' };
      await must('POST', '/usuario', adminToken, { ...user, nombres: `Cajero ${i}`, role: 'Operador' });
      const token: string = (await must('POST', '/auth/login', undefined, user)).access_token;
      const caja = await must('POST', '/cajas', adminToken, { nombre: `Mixed ${stamp} ${i}` });
      const session = await must('POST', '/cajas/abrir', token, { id_caja: caja.id });
      return { token, session: session.id as number };
    }),
  );
  const driverIds = await Promise.all(Array.from({ length: drivers }, async (_, i) => (await must('POST', '/drivers', adminToken, { nombre: `Bench driver ${i}` })).data.id as string));
  const points = await Promise.all(driverIds.map(async (_, i) => (await must('POST', '/cash-collection-points', adminToken, { name: `Bench point ${stamp} ${i}` })).data.id as string));
  return { cashiers: made, drivers: driverIds, points, adminId };
}

export interface MixedResult {
  sales: autocannon.Result;
  wallet: autocannon.Result;
}

/** Both loads at once for `seconds`: one connection per cashier, `walletConnections` back-office ones (create, then confirm). */
export async function runMixed(base: string, adminToken: string, setup: MixedSetup, walletConnections: number, seconds: number): Promise<MixedResult> {
  type Ctx = { i?: number; n?: number; ccr?: string };
  let nextCashier = 0;
  let nextDriver = 0;
  const sales = autocannon({
    url: base,
    connections: setup.cashiers.length,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/recargas/cliente',
        setupRequest: (req, context: Ctx) => {
          context.i ??= nextCashier++ % setup.cashiers.length;
          context.n = (context.n ?? 0) + 1;
          const cashier = setup.cashiers[context.i]!;
          const operadora = OPERATORS[(context.i + context.n) % OPERATORS.length];
          return {
            ...req,
            headers: { authorization: `Bearer ${cashier.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ operadora, numero_cliente: '70000000', monto: 1, id_caja_sesion: cashier.session }),
          };
        },
      },
    ],
  });
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const wallet = autocannon({
    url: base,
    connections: walletConnections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (req, context: Ctx) => {
          context.i ??= nextDriver++ % setup.drivers.length;
          return {
            ...req,
            path: `/drivers-balance/${setup.drivers[context.i]}/topups`,
            headers,
            body: JSON.stringify({ collectionPointId: setup.points[context.i], collectedByUserId: setup.adminId, amount: '2.50' }),
          };
        },
        onResponse: (status, body, context: Ctx) => {
          context.ccr = status === 201 ? JSON.parse(body).data.cashCollectionRecordId : undefined;
        },
      },
      {
        method: 'POST',
        setupRequest: (req, context: Ctx) => ({
          ...req,
          // After a refused create there is nothing to confirm: a confirm of an unknown record is a 404, counted as such.
          path: `/drivers-balance/topups/${context.ccr ?? '00000000-0000-4000-8000-000000000000'}/confirm`,
          headers,
          body: '{}',
        }),
      },
    ],
  });
  const [s, w] = await Promise.all([sales, wallet]);
  return { sales: s, wallet: w };
}

/** Each driver's balance equals the sum of their completed top-ups (nothing lost, nothing twice). */
export async function checkWallets(must: Call, adminToken: string, drivers: string[]): Promise<{ exact: boolean; credited: string }> {
  let exact = true;
  let cents = 0n;
  const toCents = (s: string) => BigInt(s.replace('.', ''));
  for (const d of drivers) {
    const balance: string = (await must('GET', `/drivers-balance/${d}`, adminToken)).data.currentWalletBalance;
    const completed: string = (await must('GET', `/drivers-balance/topups?driverId=${d}&status=completed&limit=1`, adminToken)).meta.totalAmount;
    if (toCents(balance) !== toCents(completed)) exact = false;
    cents += toCents(balance);
  }
  return { exact, credited: `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}` };
}
