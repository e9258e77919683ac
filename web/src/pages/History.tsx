import { useMemo, useState, type FormEvent } from 'react';
import { api, run, type Schemas } from '../api/client';
import { downloadCsv, toCsv } from '../csv';
import { fmtPos, formatCents, numberToCents } from '../money';
import { Card, ErrorBox, fmtDate, Pager, useLoad } from '../ui';
import { OPERADORAS, type Operadora } from './Shift';

interface Filters {
  operadora: '' | Operadora;
  id_caja_sesion: string;
  numero_cliente: string;
  from: string;
  to: string;
}
const EMPTY: Filters = { operadora: '', id_caja_sesion: '', numero_cliente: '', from: '', to: '' };
const PAGE = 25;
const FETCH_LIMIT = 1000;

/** The API's narrowing query (strings, as the query schema says); dates are local days. */
function toQuery(f: Filters, tab: 'clientes' | 'inyecciones') {
  const q: Record<string, string> = {};
  if (f.operadora) q.operadora = f.operadora;
  if (f.id_caja_sesion.trim()) q.id_caja_sesion = f.id_caja_sesion.trim();
  if (tab === 'clientes' && f.numero_cliente.trim()) q.numero_cliente = f.numero_cliente.trim();
  if (f.from) q.from = new Date(`${f.from}T00:00:00`).toISOString();
  if (f.to) q.to = new Date(`${f.to}T23:59:59.999`).toISOString();
  return q;
}

/** Every page of a history (limit 1000 per request), for the table, the chart and the CSV. */
async function fetchAll<T>(get: (page: number) => Promise<T[]>): Promise<T[]> {
  const all: T[] = [];
  for (let page = 1; page <= 50; page++) {
    const rows = await get(page);
    all.push(...rows);
    if (rows.length < FETCH_LIMIT) break;
  }
  return all;
}

const localDay = (iso: string) => {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

export function History() {
  const initialTab = location.hash.includes('tab=inyecciones') ? 'inyecciones' : 'clientes';
  const [tab, setTab] = useState<'clientes' | 'inyecciones'>(initialTab);
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [page, setPage] = useState(1);

  const recargas = useLoad(
    () =>
      fetchAll((p) =>
        run(() => api.GET('/recargas/historial/clientes', { params: { query: { ...toQuery(filters, 'clientes'), page: String(p), limit: String(FETCH_LIMIT) } } })),
      ),
    [filters],
  );
  const inyecciones = useLoad(
    () =>
      fetchAll((p) =>
        run(() => api.GET('/recargas/historial/inyecciones', { params: { query: { ...toQuery(filters, 'inyecciones'), page: String(p), limit: String(FETCH_LIMIT) } } })),
      ),
    [filters],
  );

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters(draft);
    setPage(1);
  };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });

  const rows = tab === 'clientes' ? (recargas.data ?? []) : (inyecciones.data ?? []);
  const total = rows.reduce((acc, r) => acc + numberToCents(r.monto), 0n);
  const shown = rows.slice((page - 1) * PAGE, page * PAGE);

  const exportCsv = () => {
    const stamp = new Date().toISOString().slice(0, 10);
    if (tab === 'clientes') {
      const data = recargas.data ?? [];
      downloadCsv(
        `recargas-${stamp}.csv`,
        toCsv(
          ['id', 'fecha_hora', 'operadora', 'numero_cliente', 'monto', 'id_caja_sesion'],
          data.map((r) => [r.id, r.fecha_hora, r.operadora, r.numero_cliente, fmtPos(r.monto), r.id_caja_sesion]),
        ),
      );
    } else {
      const data = inyecciones.data ?? [];
      downloadCsv(
        `inyecciones-${stamp}.csv`,
        toCsv(
          ['id', 'fecha_hora', 'operadora_destino', 'monto', 'id_caja_origen'],
          data.map((r) => [r.id, r.fecha_hora, r.operadora_destino, fmtPos(r.monto), r.id_caja_origen]),
        ),
      );
    }
  };

  return (
    <>
      <h1>Historial de recargas</h1>
      <Card title="Filtros">
        <form className="inline-form" onSubmit={apply} aria-label="Filtros del historial">
          <div className="field">
            <label htmlFor="f-op">Operadora</label>
            <select id="f-op" value={draft.operadora} onChange={set('operadora')}>
              <option value="">Todas</option>
              {OPERADORAS.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-ses">Sesión de caja</label>
            <input id="f-ses" inputMode="numeric" value={draft.id_caja_sesion} onChange={set('id_caja_sesion')} size={6} />
          </div>
          <div className="field">
            <label htmlFor="f-num">Número de cliente</label>
            <input id="f-num" inputMode="tel" value={draft.numero_cliente} onChange={set('numero_cliente')} disabled={tab !== 'clientes'} />
          </div>
          <div className="field">
            <label htmlFor="f-from">Desde</label>
            <input id="f-from" type="date" value={draft.from} onChange={set('from')} />
          </div>
          <div className="field">
            <label htmlFor="f-to">Hasta</label>
            <input id="f-to" type="date" value={draft.to} onChange={set('to')} />
          </div>
          <button type="submit" className="primary">
            Filtrar
          </button>
          <button
            type="button"
            className="ghost"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
              setPage(1);
            }}
          >
            Limpiar
          </button>
        </form>
      </Card>

      <Card title="Volumen de recargas por operadora y día">
        <ErrorBox error={recargas.error} />
        <VolumeChart recargas={recargas.data ?? []} />
      </Card>

      <Card
        title={
          <span role="tablist" className="tabs">
            <button type="button" role="tab" aria-selected={tab === 'clientes'} className={tab === 'clientes' ? 'tab active' : 'tab'} onClick={() => (setTab('clientes'), setPage(1))}>
              Recargas a clientes ({recargas.data?.length ?? '…'})
            </button>
            <button type="button" role="tab" aria-selected={tab === 'inyecciones'} className={tab === 'inyecciones' ? 'tab active' : 'tab'} onClick={() => (setTab('inyecciones'), setPage(1))}>
              Inyecciones ({inyecciones.data?.length ?? '…'})
            </button>
          </span>
        }
        actions={
          <>
            <span className="muted">
              Total: <strong data-testid="historial-total">{formatCents(total)}</strong>
            </span>
            <button type="button" className="ghost" onClick={exportCsv} disabled={rows.length === 0}>
              Exportar CSV
            </button>
          </>
        }
      >
        <ErrorBox error={tab === 'clientes' ? recargas.error : inyecciones.error} />
        <div className="table-wrap">
          <table>
            <thead>
              {tab === 'clientes' ? (
                <tr>
                  <th>#</th>
                  <th>Fecha</th>
                  <th>Operadora</th>
                  <th>Número</th>
                  <th>Sesión</th>
                  <th className="num">Monto</th>
                </tr>
              ) : (
                <tr>
                  <th>#</th>
                  <th>Fecha</th>
                  <th>Operadora destino</th>
                  <th>Sesión origen</th>
                  <th className="num">Monto</th>
                </tr>
              )}
            </thead>
            <tbody>
              {tab === 'clientes'
                ? (shown as Schemas['RecargaCliente'][]).map((r) => (
                    <tr key={r.id}>
                      <td>{r.id}</td>
                      <td>{fmtDate(r.fecha_hora)}</td>
                      <td>{r.operadora}</td>
                      <td>{r.numero_cliente}</td>
                      <td>
                        <a href={`#/caja/sesion/${r.id_caja_sesion}`}>#{r.id_caja_sesion}</a>
                      </td>
                      <td className="num">{fmtPos(r.monto)}</td>
                    </tr>
                  ))
                : (shown as Schemas['InyeccionOperadora'][]).map((r) => (
                    <tr key={r.id}>
                      <td>{r.id}</td>
                      <td>{fmtDate(r.fecha_hora)}</td>
                      <td>{r.operadora_destino}</td>
                      <td>
                        <a href={`#/caja/sesion/${r.id_caja_origen}`}>#{r.id_caja_origen}</a>
                      </td>
                      <td className="num">{fmtPos(r.monto)}</td>
                    </tr>
                  ))}
            </tbody>
          </table>
          {rows.length === 0 && <p className="muted">Sin registros.</p>}
        </div>
        <Pager page={page} totalPages={Math.ceil(rows.length / PAGE)} onPage={setPage} />
      </Card>
    </>
  );
}

const COLORS: Record<Operadora, string> = { Tigo: '#2563eb', Entel: '#f59e0b', Viva: '#16a34a' };

/** Grouped bars: one group per day (last 14 with sales), one bar per operator. Sums in cents. */
export function VolumeChart({ recargas }: { recargas: Schemas['RecargaCliente'][] }) {
  const { days, sums, max } = useMemo(() => {
    const sums = new Map<string, bigint>();
    const daySet = new Set<string>();
    for (const r of recargas) {
      const day = localDay(r.fecha_hora);
      daySet.add(day);
      const key = `${day}|${r.operadora}`;
      sums.set(key, (sums.get(key) ?? 0n) + numberToCents(r.monto));
    }
    const days = [...daySet].sort().slice(-14);
    let max = 0n;
    for (const d of days) for (const o of OPERADORAS) max = (sums.get(`${d}|${o}`) ?? 0n) > max ? sums.get(`${d}|${o}`)! : max;
    return { days, sums, max };
  }, [recargas]);

  if (days.length === 0) return <p className="muted">Sin recargas para graficar.</p>;
  const W = 760;
  const H = 240;
  const padL = 64;
  const padB = 36;
  const padT = 12;
  const plotW = W - padL - 8;
  const plotH = H - padB - padT;
  const groupW = plotW / days.length;
  const barW = Math.min(28, (groupW - 12) / OPERADORAS.length);
  // Geometry only (pixels); the amounts shown are formatted from cents.
  const y = (c: bigint) => (max === 0n ? 0 : (Number(c) / Number(max)) * plotH);
  const ticks = [0n, max / 2n, max];

  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Volumen de recargas por operadora y día">
        {ticks.map((t, i) => (
          <g key={i}>
            <line x1={padL} x2={W - 8} y1={padT + plotH - y(t)} y2={padT + plotH - y(t)} className="gridline" />
            <text x={padL - 6} y={padT + plotH - y(t) + 4} textAnchor="end" className="axis">
              {formatCents(t)}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          const x0 = padL + i * groupW + (groupW - barW * OPERADORAS.length) / 2;
          return (
            <g key={d}>
              {OPERADORAS.map((o, j) => {
                const v = sums.get(`${d}|${o}`) ?? 0n;
                const h = y(v);
                return (
                  <rect key={o} x={x0 + j * barW} y={padT + plotH - h} width={barW - 2} height={h} fill={COLORS[o]} rx={2}>
                    <title>{`${d} · ${o}: ${formatCents(v)}`}</title>
                  </rect>
                );
              })}
              <text x={padL + i * groupW + groupW / 2} y={H - padB + 16} textAnchor="middle" className="axis">
                {d.slice(5)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        {OPERADORAS.map((o) => (
          <span key={o}>
            <i style={{ background: COLORS[o] }} /> {o}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
