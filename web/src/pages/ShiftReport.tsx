import { api, run, type Session } from '../api/client';
import { fmtPos, formatCents, numberToCents } from '../money';
import { ErrorBox, fmtDate, useLoad } from '../ui';
import { MovementsTable } from './Shift';

/** Cierre de caja: a print-friendly report of one session (window.print()). */
export function ShiftReport({ id, session }: { id: number; session: Session }) {
  const data = useLoad(async () => {
    const [sesion, movs] = await Promise.all([
      run(() => api.GET('/cajas/sesion/{id}', { params: { path: { id: String(id) } } })),
      run(() => api.GET('/cajas/sesion/{id}/movimientos', { params: { path: { id: String(id) } } })),
    ]);
    const caja = await run(() => api.GET('/cajas/{id}', { params: { path: { id: String(sesion.id_caja) } } }));
    // The cashier's name: the caller's own, or (users are an Administrador's to read) looked up.
    let cajero = sesion.id_usuario.slice(0, 8);
    if (sesion.id_usuario === session.user.id) cajero = session.user.nombres;
    else if (session.user.role === 'Administrador') {
      cajero = (await run(() => api.GET('/usuario/{id}', { params: { path: { id: sesion.id_usuario } } })).catch(() => null))?.nombres ?? cajero;
    }
    return { sesion, movs, caja, cajero };
  }, [id]);

  if (data.error) return <ErrorBox error={data.error} />;
  if (!data.data) return <p className="muted">Cargando…</p>;
  const { sesion: s, movs, caja, cajero } = data.data;
  const byOrigin = (origen: string, tipo: 'INGRESO' | 'EGRESO') =>
    formatCents(movs.filter((m) => m.origen === origen && m.tipo === tipo).reduce((acc, m) => acc + numberToCents(m.monto), 0n));
  const closed = s.estado_sesion === 'CERRADA';

  return (
    <article className="report">
      <div className="page-head no-print">
        <a className="button ghost" href={`#/caja/sesion/${s.id}`}>
          ← Volver a la sesión
        </a>
        <button type="button" className="primary" onClick={() => window.print()}>
          Imprimir
        </button>
      </div>
      <header className="report-head">
        <h1>Cierre de caja</h1>
        <div>
          <strong>{caja.nombre}</strong> · Sesión #{s.id} · {closed ? 'CERRADA' : 'ABIERTA (reporte parcial)'}
        </div>
        <div className="muted small">
          Apertura {fmtDate(s.fecha_apertura)} · Cierre {fmtDate(s.fecha_cierre)} · Cajero {cajero}
        </div>
      </header>
      <table className="report-table">
        <tbody>
          <tr>
            <th>Monto inicial</th>
            <td className="num">{fmtPos(s.monto_inicial)}</td>
          </tr>
          <tr>
            <th>Recargas vendidas (ingreso)</th>
            <td className="num">{byOrigin('RECARGA', 'INGRESO')}</td>
          </tr>
          <tr>
            <th>Ingresos manuales</th>
            <td className="num">{byOrigin('MANUAL', 'INGRESO')}</td>
          </tr>
          <tr>
            <th>Egresos manuales</th>
            <td className="num">{byOrigin('MANUAL', 'EGRESO')}</td>
          </tr>
          <tr>
            <th>Inyecciones a operadoras (egreso)</th>
            <td className="num">{byOrigin('INYECCION', 'EGRESO')}</td>
          </tr>
          <tr className="sub">
            <th>Total ingresos</th>
            <td className="num">{fmtPos(s.total_ingresos)}</td>
          </tr>
          <tr className="sub">
            <th>Total egresos</th>
            <td className="num">{fmtPos(s.total_egresos)}</td>
          </tr>
          <tr className="total">
            <th>Efectivo teórico</th>
            <td className="num" data-testid="reporte-teorico">
              {fmtPos(s.monto_final_teorico)}
            </td>
          </tr>
          <tr className="total">
            <th>Efectivo contado</th>
            <td className="num" data-testid="reporte-real">
              {fmtPos(s.monto_final_real)}
            </td>
          </tr>
          <tr className="total">
            <th>Diferencia</th>
            <td className="num" data-testid="reporte-diferencia">
              {fmtPos(s.diferencia)}
            </td>
          </tr>
        </tbody>
      </table>
      <h2>Movimientos</h2>
      <MovementsTable movs={movs} />
      <footer className="signatures">
        <div>Firma cajero</div>
        <div>Firma supervisor</div>
      </footer>
    </article>
  );
}
