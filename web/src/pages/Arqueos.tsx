import { useState } from 'react';
import { api, run, runPaged } from '../api/client';
import { dateTime, money, pos, zoneLabel } from '../format';
import { numberToCents } from '../money';
import { Badge, Card, ErrorBox, Pager, useLoad } from '../ui';
import { differenceLabel } from './CloseDialog';

// A caja's sessions (arqueos), newest first: who, when, expected, counted,
// the difference and the report. Closed shifts without sales are here too.

const PAGE = 25;

export function Arqueos({ cajaId }: { cajaId: number }) {
  const [page, setPage] = useState(1);
  const [estado, setEstado] = useState<'' | 'ABIERTA' | 'CERRADA'>('');
  const caja = useLoad(() => run(() => api.GET('/cajas/{id}', { params: { path: { id: String(cajaId) } } })), [cajaId]);
  const list = useLoad(
    () =>
      runPaged(() =>
        api.GET('/cajas/{id}/sesiones', {
          params: { path: { id: String(cajaId) }, query: { page: String(page), limit: String(PAGE), ...(estado ? { estado } : {}) } },
        }),
      ),
    [cajaId, page, estado],
    undefined,
    ['caja'],
  );
  const rows = list.data?.rows ?? [];

  return (
    <>
      <div className="page-head">
        <h1>Arqueos · {caja.data?.nombre ?? `Caja ${cajaId}`}</h1>
        <a className="button ghost" href="#/cajas">
          ← Cajas
        </a>
      </div>
      <Card
        title="Sesiones de la caja"
        actions={
          <label>
            Estado{' '}
            <select value={estado} onChange={(e) => (setEstado(e.target.value as typeof estado), setPage(1))}>
              <option value="">Todas</option>
              <option value="ABIERTA">Abiertas</option>
              <option value="CERRADA">Cerradas</option>
            </select>
          </label>
        }
      >
        <ErrorBox error={list.error ?? caja.error} />
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Sesión</th>
                <th>Cajero</th>
                <th>Apertura</th>
                <th>Cierre</th>
                <th className="num">Esperado</th>
                <th className="num">Contado</th>
                <th className="num">Diferencia</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => {
                const diff = s.diferencia === null ? null : numberToCents(s.diferencia);
                return (
                  <tr key={s.id}>
                    <td>
                      n.º {s.id} {s.estado_sesion === 'ABIERTA' && <Badge tone="ok">Abierta</Badge>}
                    </td>
                    <td>{s.usuario.nombres}</td>
                    <td>{dateTime(s.fecha_apertura)}</td>
                    <td>{dateTime(s.fecha_cierre)}</td>
                    <td className="num">{pos(s.monto_final_teorico)}</td>
                    <td className="num">{pos(s.monto_final_real)}</td>
                    <td className={`num ${diff === null ? '' : diff < 0n ? 'neg' : diff > 0n ? 'warn' : 'pos'}`} title={s.observacion ?? undefined}>
                      {diff === null ? '—' : diff === 0n ? 'Cuadra' : `${differenceLabel(diff)} ${money(diff < 0n ? -diff : diff)}`}
                    </td>
                    <td className="row-actions">
                      <a href={`#/caja/sesion/${s.id}/reporte`}>Reporte</a>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {list.data && rows.length === 0 && <p className="muted">Esta caja no tiene sesiones{estado ? ' con ese estado' : ''}.</p>}
        </div>
        <p className="muted small">Horas en {zoneLabel()}.</p>
        <Pager page={page} totalPages={Math.ceil((list.data?.total ?? 0) / PAGE)} onPage={setPage} />
      </Card>
    </>
  );
}
