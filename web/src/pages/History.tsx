import { useMemo, useState, type FormEvent } from 'react';
import { ApiError, api, run, type Schemas, type Session } from '../api/client';
import { OPERADORAS, type Operadora } from '../components';
import { downloadCsv, toCsv } from '../csv';
import { businessDay, csvAmount, dateTime, dayMonth, dayStart, money, pos, today, zoneLabel } from '../format';
import { NoticeBox, useMoneyAction } from '../money-action';
import { numberToCents } from '../money';
import { showPhone } from '../phone';
import { Badge, Card, ErrorBox, Field, Modal, Pager, useLoad } from '../ui';
import { useActiveSession } from './Shift';

// Top-ups and injections, narrowed by operator, session, digits of the
// number and business days; the table, a chart per day and operator, a CSV
// for a Spanish spreadsheet, tickets, and (Administrador) voiding a sale.
// A cashier starts on their own open session.

interface Filters {
  operadora: '' | Operadora;
  id_caja_sesion: string;
  buscar: string;
  from: string;
  to: string;
}
const PAGE = 25;
const twoWeeksAgo = () => businessDay(new Date(Date.now() - 13 * 86_400_000));

function toQuery(f: Filters, tab: 'clientes' | 'inyecciones') {
  const q: Record<string, string> = {};
  if (f.operadora) q.operadora = f.operadora;
  if (f.id_caja_sesion.trim()) q.id_caja_sesion = f.id_caja_sesion.trim();
  const digits = f.buscar.replace(/\D/g, '').replace(/^591(?=\d{8}$)/, '');
  if (tab === 'clientes' && digits) q.buscar = digits;
  if (f.from) q.from = dayStart(f.from);
  if (f.to) q.to = new Date(Date.parse(dayStart(f.to)) + 86_400_000 - 1).toISOString();
  return q;
}

function checkFilters(f: Filters): ApiError | null {
  const digits = f.buscar.replace(/\D/g, '');
  if (f.buscar.trim() && (digits.length < 2 || digits.length > 15)) return new ApiError(0, 'Busque con 2 a 15 dígitos del número.', ['buscar']);
  if (f.id_caja_sesion.trim() && !/^\d{1,9}$/.test(f.id_caja_sesion.trim())) return new ApiError(0, 'La sesión es un número.', ['id_caja_sesion']);
  if (f.from && f.to && f.from > f.to) return new ApiError(0, 'La fecha «desde» es posterior a «hasta».', ['from']);
  return null;
}

export function History({ session }: { session: Session }) {
  const cashier = session.user.role === 'Operador';
  const mine = useActiveSession();
  const initial: Filters = { operadora: '', id_caja_sesion: '', buscar: '', from: twoWeeksAgo(), to: today() };
  const [tab, setTab] = useState<'clientes' | 'inyecciones'>(location.hash.includes('tab=inyecciones') ? 'inyecciones' : 'clientes');
  const [draft, setDraft] = useState<Filters>(initial);
  const [filters, setFilters] = useState<Filters | null>(cashier ? null : initial);
  const [page, setPage] = useState(1);
  const [invalid, setInvalid] = useState<ApiError | null>(null);
  const [voiding, setVoiding] = useState<Schemas['RecargaCliente'] | null>(null);

  // A cashier starts on their own open session (they may widen it).
  if (cashier && filters === null && !mine.loading) {
    const start = { ...initial, id_caja_sesion: mine.data ? String(mine.data.id) : '' };
    setDraft(start);
    setFilters(start);
  }

  const recargas = useLoad(
    () => (filters ? run(() => api.GET('/recargas/historial/clientes', { params: { query: toQuery(filters, 'clientes') } })) : Promise.resolve(undefined)),
    [filters],
    undefined,
    ['caja', 'recargas'],
  );
  const inyecciones = useLoad(
    () => (filters ? run(() => api.GET('/recargas/historial/inyecciones', { params: { query: toQuery(filters, 'inyecciones') } })) : Promise.resolve(undefined)),
    [filters],
    undefined,
    ['caja', 'recargas'],
  );

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const problem = checkFilters(draft);
    setInvalid(problem);
    if (problem) return;
    setFilters({ ...draft });
    setPage(1);
  };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });

  const current = tab === 'clientes' ? recargas : inyecciones;
  // On an error nothing old stays on screen: the table and chart would not match the filters shown.
  const rows = current.error ? [] : (current.data ?? []);
  const sales = recargas.error ? [] : (recargas.data ?? []);
  const completed = tab === 'clientes' ? (rows as Schemas['RecargaCliente'][]).filter((r) => r.estado !== 'ANULADA') : rows;
  const total = completed.reduce((acc, r) => acc + numberToCents(r.monto), 0n);
  const shown = rows.slice((page - 1) * PAGE, page * PAGE);

  const exportCsv = () => {
    const stamp = today();
    if (tab === 'clientes') {
      downloadCsv(
        `recargas-${stamp}.csv`,
        toCsv(
          ['N.º', `Fecha y hora (${zoneLabel()})`, 'Operadora', 'Número', 'Monto (Bs)', 'Sesión de caja', 'Estado'],
          sales.map((r) => [r.id, dateTime(r.fecha_hora), r.operadora, r.numero_cliente, csvAmount(numberToCents(r.monto)), r.id_caja_sesion, r.estado === 'ANULADA' ? 'Anulada' : 'Completada']),
        ),
      );
    } else {
      downloadCsv(
        `inyecciones-${stamp}.csv`,
        toCsv(
          ['N.º', `Fecha y hora (${zoneLabel()})`, 'Operadora', 'Monto (Bs)', 'Sesión de caja'],
          (inyecciones.data ?? []).map((r) => [r.id, dateTime(r.fecha_hora), r.operadora_destino, csvAmount(numberToCents(r.monto)), r.id_caja_origen]),
        ),
      );
    }
  };

  return (
    <>
      <h1>Historial de ventas</h1>
      <Card title="Filtros">
        <form className="inline-form" onSubmit={apply} aria-label="Filtros del historial" noValidate>
          <Field label="Operadora">
            {(id) => (
              <select id={id} value={draft.operadora} onChange={set('operadora')}>
                <option value="">Todas</option>
                {OPERADORAS.map((o) => (
                  <option key={o}>{o}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Sesión de caja" error={invalid?.forField('id_caja_sesion')} hint={cashier ? 'Vacío: todas las cajas' : undefined}>
            {(id, d) => <input id={id} aria-describedby={d} inputMode="numeric" value={draft.id_caja_sesion} onChange={set('id_caja_sesion')} size={6} />}
          </Field>
          <Field label="Número (parte)" error={invalid?.forField('buscar')}>
            {(id) => <input id={id} inputMode="tel" value={draft.buscar} onChange={set('buscar')} disabled={tab !== 'clientes'} placeholder="p. ej. 4567" />}
          </Field>
          <Field label="Desde">{(id) => <input id={id} type="date" value={draft.from} onChange={set('from')} />}</Field>
          <Field label="Hasta" error={invalid?.forField('from')}>
            {(id) => <input id={id} type="date" value={draft.to} onChange={set('to')} />}
          </Field>
          <button type="submit" className="primary">
            Filtrar
          </button>
        </form>
        <ErrorBox error={invalid} />
        <p className="muted small">Fechas y horas en {zoneLabel()}.</p>
      </Card>

      <Card title="Ventas por operadora y día">
        <ErrorBox error={recargas.error} />
        {!recargas.error && <VolumeChart recargas={sales.filter((r) => r.estado !== 'ANULADA')} />}
      </Card>

      <Card
        title={
          <span role="tablist" className="tabs">
            <button type="button" role="tab" aria-selected={tab === 'clientes'} className={tab === 'clientes' ? 'tab active' : 'tab'} onClick={() => (setTab('clientes'), setPage(1))}>
              Recargas a clientes ({recargas.error ? '—' : (recargas.data?.length ?? '…')})
            </button>
            <button type="button" role="tab" aria-selected={tab === 'inyecciones'} className={tab === 'inyecciones' ? 'tab active' : 'tab'} onClick={() => (setTab('inyecciones'), setPage(1))}>
              Inyecciones ({inyecciones.error ? '—' : (inyecciones.data?.length ?? '…')})
            </button>
          </span>
        }
        actions={
          <>
            <span className="muted">
              Total{tab === 'clientes' ? ' (sin anuladas)' : ''}: <strong data-testid="historial-total">{money(total)}</strong>
            </span>
            <button type="button" className="ghost" onClick={exportCsv} disabled={rows.length === 0}>
              Exportar CSV
            </button>
          </>
        }
      >
        <ErrorBox error={current.error} />
        <div className="table-wrap">
          <table>
            <thead>
              {tab === 'clientes' ? (
                <tr>
                  <th>N.º</th>
                  <th>Fecha y hora</th>
                  <th>Operadora</th>
                  <th>Número</th>
                  <th>Sesión</th>
                  <th className="num">Monto</th>
                  <th />
                </tr>
              ) : (
                <tr>
                  <th>N.º</th>
                  <th>Fecha y hora</th>
                  <th>Operadora</th>
                  <th>Sesión</th>
                  <th className="num">Monto</th>
                </tr>
              )}
            </thead>
            <tbody>
              {tab === 'clientes'
                ? (shown as Schemas['RecargaCliente'][]).map((r) => (
                    <tr key={r.id} className={r.estado === 'ANULADA' ? 'voided' : ''}>
                      <td>{r.id}</td>
                      <td>{dateTime(r.fecha_hora)}</td>
                      <td>{r.operadora}</td>
                      <td>{showPhone(r.numero_cliente)}</td>
                      <td>
                        <a href={`#/caja/sesion/${r.id_caja_sesion}`}>n.º {r.id_caja_sesion}</a>
                      </td>
                      <td className="num">
                        {pos(r.monto)} {r.estado === 'ANULADA' && <Badge tone="bad">Anulada</Badge>}
                      </td>
                      <td className="row-actions">
                        <a href={`#/ticket/${r.id}`}>Ticket</a>
                        {session.user.role === 'Administrador' && r.estado === 'COMPLETADA' && (
                          <button type="button" className="ghost small danger-text" onClick={() => setVoiding(r)}>
                            Anular
                          </button>
                        )}
                      </td>
                    </tr>
                  ))
                : (shown as Schemas['InyeccionOperadora'][]).map((r) => (
                    <tr key={r.id}>
                      <td>{r.id}</td>
                      <td>{dateTime(r.fecha_hora)}</td>
                      <td>{r.operadora_destino}</td>
                      <td>
                        <a href={`#/caja/sesion/${r.id_caja_origen}`}>n.º {r.id_caja_origen}</a>
                      </td>
                      <td className="num">{pos(r.monto)}</td>
                    </tr>
                  ))}
            </tbody>
          </table>
          {current.data && !current.error && rows.length === 0 && <p className="muted">Sin registros con estos filtros.</p>}
        </div>
        <Pager page={page} totalPages={Math.ceil(rows.length / PAGE)} onPage={setPage} />
      </Card>
      {voiding && (
        <VoidDialog
          sale={voiding}
          onClose={() => setVoiding(null)}
          onDone={() => {
            setVoiding(null);
            recargas.reload();
          }}
        />
      )}
    </>
  );
}

/** Voiding a sale (Administrador): a reason is required; the money goes back to the float. */
function VoidDialog({ sale, onClose, onDone }: { sale: Schemas['RecargaCliente']; onClose: () => void; onDone: () => void }) {
  const [motivo, setMotivo] = useState('');
  const action = useMoneyAction((body: { motivo: string }, key: string) =>
    run(() => api.POST('/recargas/cliente/{id}/anular', { params: { path: { id: String(sale.id) } }, body, headers: { 'Idempotency-Key': key } })),
  );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!motivo.trim()) return action.setNotice({ kind: 'error', error: new ApiError(0, 'Escriba el motivo de la anulación.', ['motivo']) });
    await action.attempt({ motivo: motivo.trim() }, onDone);
  };
  return (
    <Modal open title={`Anular la recarga n.º ${sale.id}`} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <p>
          {sale.operadora} al {showPhone(sale.numero_cliente)} por <strong>{pos(sale.monto)}</strong>, del {dateTime(sale.fecha_hora)}. Se devuelve el monto al
          saldo de {sale.operadora} y sale de la caja (solo mientras la caja sigue abierta).
        </p>
        <Field label="Motivo (obligatorio)" error={action.notice?.kind === 'error' ? action.notice.error.forField('motivo') : undefined}>
          {(id) => <input id={id} maxLength={250} value={motivo} onChange={(e) => setMotivo(e.target.value)} autoComplete="off" />}
        </Field>
        <NoticeBox notice={action.notice} onRetry={() => void action.retry()} busy={action.busy} />
        <div className="actions">
          <button type="button" className="ghost" onClick={onClose}>
            Volver
          </button>
          <button type="submit" className="danger" disabled={action.busy || action.locked}>
            Anular recarga
          </button>
        </div>
      </form>
    </Modal>
  );
}

const COLORS: Record<Operadora, string> = { Tigo: '#2563eb', Entel: '#f59e0b', Viva: '#16a34a' };

/** Grouped bars: one group per business day (last 14 with sales), one bar per operator. Sums in cents. */
export function VolumeChart({ recargas }: { recargas: Schemas['RecargaCliente'][] }) {
  const { days, sums, max } = useMemo(() => {
    const sums = new Map<string, bigint>();
    const daySet = new Set<string>();
    for (const r of recargas) {
      const day = businessDay(r.fecha_hora);
      daySet.add(day);
      const key = `${day}|${r.operadora}`;
      sums.set(key, (sums.get(key) ?? 0n) + numberToCents(r.monto));
    }
    const days = [...daySet].sort().slice(-14);
    let max = 0n;
    for (const d of days) for (const o of OPERADORAS) max = (sums.get(`${d}|${o}`) ?? 0n) > max ? sums.get(`${d}|${o}`)! : max;
    return { days, sums, max };
  }, [recargas]);

  if (days.length === 0) return <p className="muted">Sin ventas para graficar.</p>;
  const W = 760;
  const H = 240;
  const padL = 84;
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
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Ventas por operadora y día">
        {ticks.map((t, i) => (
          <g key={i}>
            <line x1={padL} x2={W - 8} y1={padT + plotH - y(t)} y2={padT + plotH - y(t)} className="gridline" />
            <text x={padL - 6} y={padT + plotH - y(t) + 4} textAnchor="end" className="axis">
              {money(t)}
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
                    <title>{`${dayMonth(d)} · ${o}: ${money(v)}`}</title>
                  </rect>
                );
              })}
              <text x={padL + i * groupW + groupW / 2} y={H - padB + 16} textAnchor="middle" className="axis">
                {dayMonth(d)}
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

