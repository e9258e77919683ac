import { useState } from 'react';
import { api, run } from '../api/client';
import { businessDay, dayMonth, money, pos, today, zoneLabel } from '../format';
import { numberToCents } from '../money';
import { Card, ErrorBox, Updated, useConnection, useLoad } from '../ui';
import { OperatorCards } from './ShiftTables';

// The administrator's day at a glance (GET /reportes/resumen): sales by
// operator and seller, injections, sessions and their differences, low
// floats, and the last two weeks' sales per day.

const shiftDay = (day: string, days: number) => businessDay(new Date(Date.parse(`${day}T12:00:00Z`) + days * 86_400_000));

export function Dashboard() {
  const [day, setDay] = useState(today);
  const resumen = useLoad(() => run(() => api.GET('/reportes/resumen', { params: { query: { from: day, to: day } } })), [day], 30_000, ['caja', 'recargas']);
  const weeks = useLoad(() => run(() => api.GET('/reportes/resumen', { params: { query: { from: shiftDay(day, -13), to: day } } })), [day]);
  const saldos = useLoad(() => run(() => api.GET('/recargas/operadoras/saldos')), [], 30_000, ['recargas']);
  const { offline, lastAnswer } = useConnection();
  const r = resumen.data;

  return (
    <>
      <div className="page-head">
        <h1>Tablero del día</h1>
        <label className="day-picker">
          Día{' '}
          <input type="date" value={day} max={today()} onChange={(e) => e.target.value && setDay(e.target.value)} />
        </label>
      </div>
      <p className="muted small">
        Días en {zoneLabel()} · <Updated at={lastAnswer} offline={offline} />
      </p>
      <ErrorBox error={resumen.error} />
      {r && (
        <div className="kpis">
          <div className="kpi main">
            <div className="kpi-label">Recargas vendidas</div>
            <div className="kpi-value" data-testid="tablero-ventas">
              {pos(r.recargas.total)}
            </div>
            <div className="muted small">
              {r.recargas.cantidad} ventas{r.recargas.anuladas > 0 && ` · ${r.recargas.anuladas} anuladas`}
            </div>
          </div>
          <div className="kpi">
            <div className="kpi-label">Inyecciones</div>
            <div className="kpi-value">{pos(r.inyecciones.total)}</div>
            <div className="muted small">{r.inyecciones.cantidad}</div>
          </div>
          <div className="kpi">
            <div className="kpi-label">Cajas abiertas hoy</div>
            <div className="kpi-value">{r.sesiones.abiertas + r.sesiones.cerradas}</div>
            <div className="muted small">
              {r.sesiones.abiertas} abiertas · {r.sesiones.cerradas} cerradas
            </div>
          </div>
          <div className="kpi">
            <div className="kpi-label">Cierres con diferencia</div>
            <div className={`kpi-value ${r.sesiones.con_diferencia.length ? 'warn' : ''}`}>{r.sesiones.con_diferencia.length}</div>
          </div>
        </div>
      )}

      <OperatorCards saldos={saldos.data} error={saldos.error} />

      {r && (
        <div className="grid2">
          <Card title="Por operadora">
            <table>
              <tbody>
                {r.por_operadora.map((o) => (
                  <tr key={o.operadora}>
                    <td>
                      <strong>{o.operadora}</strong>
                    </td>
                    <td className="num">{o.cantidad}</td>
                    <td className="num">{pos(o.total)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
          <Card title="Por cajero">
            {r.por_usuario.length === 0 ? (
              <p className="muted">Sin ventas.</p>
            ) : (
              <table>
                <tbody>
                  {r.por_usuario.map((u) => (
                    <tr key={u.id_usuario}>
                      <td>
                        <strong>{u.nombres}</strong>
                      </td>
                      <td className="num">{u.cantidad}</td>
                      <td className="num">{pos(u.total)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
        </div>
      )}

      {r && r.sesiones.con_diferencia.length > 0 && (
        <Card title="Cierres con diferencia">
          <table>
            <thead>
              <tr>
                <th>Sesión</th>
                <th className="num">Diferencia</th>
                <th>Observación</th>
              </tr>
            </thead>
            <tbody>
              {r.sesiones.con_diferencia.map((s) => {
                const d = numberToCents(s.diferencia);
                return (
                  <tr key={s.id}>
                    <td>
                      <a href={`#/caja/sesion/${s.id}/reporte`}>n.º {s.id}</a>
                    </td>
                    <td className={`num ${d < 0n ? 'neg' : 'warn'}`}>
                      {d < 0n ? 'Faltante' : 'Sobrante'} {money(d < 0n ? -d : d)}
                    </td>
                    <td>{s.observacion ?? '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </Card>
      )}

      <Card title="Ventas de los últimos 14 días">
        <ErrorBox error={weeks.error} />
        {weeks.data && <DaysChart days={weeks.data.por_dia} />}
      </Card>
    </>
  );
}

function DaysChart({ days }: { days: Array<{ dia: string; cantidad: number; total: number }> }) {
  const cents = days.map((d) => numberToCents(d.total));
  const max = cents.reduce((m, c) => (c > m ? c : m), 0n);
  const W = 760;
  const H = 200;
  const pad = 40;
  const bw = (W - pad - 8) / days.length;
  // Geometry only (pixels); amounts are shown formatted from cents.
  const h = (c: bigint) => (max === 0n ? 0 : (Number(c) / Number(max)) * (H - 40));
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Ventas por día">
        {days.map((d, i) => (
          <g key={d.dia}>
            <rect x={pad + i * bw + 4} y={H - 24 - h(cents[i]!)} width={bw - 8} height={h(cents[i]!)} className="bar" rx={2}>
              <title>{`${dayMonth(d.dia)}: ${money(cents[i]!)} (${d.cantidad} ventas)`}</title>
            </rect>
            <text x={pad + i * bw + bw / 2} y={H - 8} textAnchor="middle" className="axis">
              {dayMonth(d.dia)}
            </text>
          </g>
        ))}
        <text x={pad - 6} y={16} textAnchor="end" className="axis">
          {money(max)}
        </text>
      </svg>
    </figure>
  );
}
