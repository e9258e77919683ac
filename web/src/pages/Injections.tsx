import { api, run, type Session } from '../api/client';
import { fmtPos } from '../money';
import { Card, ErrorBox, fmtDate, useLoad } from '../ui';
import { InyeccionForm, OperatorCards, useActiveSession } from './Shift';

/** Injections to operators: paid with the cash of the administrator's open session. */
export function Injections({ session: _session }: { session: Session }) {
  const active = useActiveSession();
  const cash = useLoad(
    () => (active.data ? run(() => api.GET('/cajas/sesion/{id}/balance', { params: { path: { id: String(active.data!.id) } } })) : Promise.resolve(undefined)),
    [active.data?.id],
    undefined,
    ['caja'],
  );
  const saldos = useLoad(() => run(() => api.GET('/recargas/operadoras/saldos')), [], undefined, ['recargas']);
  const history = useLoad(() => run(() => api.GET('/recargas/historial/inyecciones', { params: { query: { page: '1', limit: '20' } } })), [], undefined, ['caja', 'recargas']);
  const refresh = () => {
    cash.reload();
    saldos.reload();
    history.reload();
  };

  return (
    <>
      <h1>Inyecciones a operadoras</h1>
      <OperatorCards saldos={saldos.data} error={saldos.error} />
      <div className="grid2">
        {active.data ? (
          <div>
            <p className="muted">
              Se paga con el efectivo de su sesión #{active.data.id} (efectivo: {fmtPos(cash.data)}).
            </p>
            <InyeccionForm sesionId={active.data.id} cash={cash.data} onDone={refresh} />
          </div>
        ) : (
          <Card title="Inyección a operadora">
            <ErrorBox error={active.error} />
            {active.data === null && (
              <p>
                La inyección se paga con el efectivo de una caja: primero <a href="#/caja">abra una sesión de caja</a>.
              </p>
            )}
          </Card>
        )}
        <Card title="Últimas inyecciones" actions={<a href="#/historial?tab=inyecciones">Ver historial</a>}>
          <ErrorBox error={history.error} />
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Fecha</th>
                  <th>Operadora</th>
                  <th>Sesión</th>
                  <th className="num">Monto</th>
                </tr>
              </thead>
              <tbody>
                {(history.data ?? []).map((i) => (
                  <tr key={i.id}>
                    <td>{fmtDate(i.fecha_hora)}</td>
                    <td>{i.operadora_destino}</td>
                    <td>
                      <a href={`#/caja/sesion/${i.id_caja_origen}`}>#{i.id_caja_origen}</a>
                    </td>
                    <td className="num">{fmtPos(i.monto)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      </div>
    </>
  );
}
