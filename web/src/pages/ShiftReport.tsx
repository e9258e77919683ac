import { api, run, type Schemas, type Session } from '../api/client';
import { OPERADORAS } from '../components';
import { amount, dateTime, money, pos, shop, zoneLabel } from '../format';
import { numberToCents } from '../money';
import { ErrorBox, useLoad } from '../ui';
import { differenceLabel } from './CloseDialog';
import { PageSize, PrintFormat, usePrintFormat } from './Ticket';
import { ORIGEN } from './ShiftTables';

/**
 * A session's report (arqueo), printable on A4 or a 58/80 mm roll: the cash
 * expected, counted and the difference (faltante/sobrante), the sales by
 * operator, and the movements that make up the expected cash, with a running
 * balance that ends on it.
 */
export function ShiftReport({ id, session }: { id: number; session: Session }) {
  const [format, setFormat] = usePrintFormat('reporte', 'a4');
  const roll = format !== 'a4';
  const data = useLoad(async () => {
    const path = { params: { path: { id: String(id) } } };
    const [sesion, movs, ventas] = await Promise.all([
      run(() => api.GET('/cajas/sesion/{id}', path)),
      run(() => api.GET('/cajas/sesion/{id}/movimientos', path)),
      run(() => api.GET('/recargas/historial/clientes', { params: { query: { id_caja_sesion: String(id) } } })),
    ]);
    const caja = await run(() => api.GET('/cajas/{id}', { params: { path: { id: String(sesion.id_caja) } } }));
    let cajero = 'otro cajero';
    if (sesion.id_usuario === session.user.id) cajero = session.user.nombres;
    else {
      const list = await run(() => api.GET('/cajas/{id}/sesiones', { params: { path: { id: String(sesion.id_caja) }, query: { id_usuario: sesion.id_usuario, limit: '1' } } })).catch(() => []);
      cajero = list[0]?.usuario.nombres ?? cajero;
    }
    return { sesion, movs, ventas, caja, cajero };
  }, [id]);

  if (data.error) return <ErrorBox error={data.error} />;
  if (!data.data) return <p className="muted">Cargando…</p>;
  const { sesion: s, movs, ventas, caja, cajero } = data.data;
  const closed = s.estado_sesion === 'CERRADA';
  const diff = s.diferencia === null ? null : numberToCents(s.diferencia);
  // The movements the expected cash is made of: not the opening count (it is
  // the starting line) nor the adjustments (an opening count differing from
  // the books, the closing difference), which the session's totals leave out.
  const counted = movs.filter((m) => m.origen !== 'APERTURA' && m.origen !== 'AJUSTE');
  let running = numberToCents(s.monto_inicial);
  const lines = counted.map((m) => {
    running += m.tipo === 'INGRESO' ? numberToCents(m.monto) : -numberToCents(m.monto);
    return { m, running };
  });
  const sum = (pred: (m: Schemas['CajaMovimientoDetalle']) => boolean) => counted.filter(pred).reduce((acc, m) => acc + numberToCents(m.monto), 0n);
  const byOperator = OPERADORAS.map((o) => {
    const done = ventas.filter((v) => v.operadora === o && v.estado === 'COMPLETADA');
    return { o, n: done.length, total: done.reduce((acc, v) => acc + numberToCents(v.monto), 0n), voided: ventas.filter((v) => v.operadora === o && v.estado === 'ANULADA').length };
  });

  return (
    <article className={`report print-${format}`}>
      <PageSize format={format} />
      <div className="page-head no-print">
        <a className="button ghost" href={`#/caja/sesion/${s.id}`}>
          ← Volver a la sesión
        </a>
        <PrintFormat value={format} onChange={setFormat} />
        <button type="button" className="primary" onClick={() => window.print()}>
          Imprimir
        </button>
      </div>
      <header className="report-head">
        <div className="shop">{shop().shopName}</div>
        <h1>Arqueo de caja</h1>
        <div>
          <strong>{caja.nombre}</strong> · Sesión n.º {s.id} · {closed ? 'Cerrada' : 'Abierta (reporte parcial)'}
        </div>
        <div className="muted small">
          Cajero: {cajero} · Apertura {dateTime(s.fecha_apertura)} · Cierre {dateTime(s.fecha_cierre)} ({zoneLabel()})
        </div>
      </header>

      <table className="report-table">
        <tbody>
          <tr>
            <th>Efectivo inicial</th>
            <td className="num">{pos(s.monto_inicial)}</td>
          </tr>
          <tr>
            <th>+ Ventas de recargas</th>
            <td className="num">{money(sum((m) => m.origen === 'RECARGA'))}</td>
          </tr>
          <tr>
            <th>− Anulaciones</th>
            <td className="num">{money(sum((m) => m.origen === 'ANULACION'))}</td>
          </tr>
          <tr>
            <th>+ Ingresos manuales</th>
            <td className="num">{money(sum((m) => m.origen === 'MANUAL' && m.tipo === 'INGRESO'))}</td>
          </tr>
          <tr>
            <th>− Egresos manuales</th>
            <td className="num">{money(sum((m) => m.origen === 'MANUAL' && m.tipo === 'EGRESO'))}</td>
          </tr>
          <tr>
            <th>− Inyecciones a operadoras</th>
            <td className="num">{money(sum((m) => m.origen === 'INYECCION'))}</td>
          </tr>
          <tr className="total">
            <th>Efectivo esperado</th>
            <td className="num" data-testid="reporte-teorico">
              {pos(s.monto_final_teorico)}
            </td>
          </tr>
          {closed && (
            <>
              <tr className="total">
                <th>Efectivo contado</th>
                <td className="num" data-testid="reporte-real">
                  {pos(s.monto_final_real)}
                </td>
              </tr>
              <tr className={`total ${diff! < 0n ? 'neg' : diff! > 0n ? 'warn' : 'pos'}`}>
                <th>{differenceLabel(diff!)}</th>
                <td className="num" data-testid="reporte-diferencia">
                  {money(diff! < 0n ? -diff! : diff!)}
                </td>
              </tr>
            </>
          )}
        </tbody>
      </table>
      {s.observacion && (
        <p className="observacion">
          <strong>Observación:</strong> {s.observacion}
        </p>
      )}
      {s.conteo && s.conteo.length > 0 && (
        <>
          <h2>Conteo</h2>
          <table className="report-table">
            <tbody>
              {s.conteo.map((c) => (
                <tr key={c.denominacion}>
                  <th>
                    {c.cantidad} × {amount(numberToCents(c.denominacion))}
                  </th>
                  <td className="num">{money(numberToCents(c.denominacion) * BigInt(c.cantidad))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <h2>Ventas por operadora</h2>
      <table className="report-table" data-testid="por-operadora">
        <thead>
          <tr>
            <th>Operadora</th>
            <th className="num">Ventas</th>
            <th className="num">Total</th>
          </tr>
        </thead>
        <tbody>
          {byOperator.map((r) => (
            <tr key={r.o}>
              <th>
                {r.o}
                {r.voided > 0 && <span className="muted small"> ({r.voided} anulada{r.voided > 1 ? 's' : ''})</span>}
              </th>
              <td className="num">{r.n}</td>
              <td className="num">{money(r.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Movimientos</h2>
      <table className="report-table movements">
        <thead>
          <tr>
            <th>{roll ? 'Hora' : 'Fecha y hora'}</th>
            <th>Concepto</th>
            <th className="num">Monto</th>
            <th className="num">Saldo</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>{roll ? dateTime(s.fecha_apertura).slice(11) : dateTime(s.fecha_apertura)}</td>
            <td>Efectivo inicial</td>
            <td className="num" />
            <td className="num">{pos(s.monto_inicial)}</td>
          </tr>
          {lines.map(({ m, running: r }) => (
            <tr key={m.id}>
              <td>{roll ? dateTime(m.fecha).slice(11) : dateTime(m.fecha)}</td>
              <td>{m.origen === 'MANUAL' ? `${ORIGEN[m.origen]}: ${m.motivo}` : m.motivo}</td>
              <td className={`num ${m.tipo === 'EGRESO' ? 'neg' : ''}`}>
                {m.tipo === 'EGRESO' ? '−' : '+'}
                {amount(numberToCents(m.monto))}
              </td>
              <td className="num">{amount(r)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <footer className="signatures">
        <div>Firma cajero</div>
        <div>Firma supervisor</div>
      </footer>
    </article>
  );
}
