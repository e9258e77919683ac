import { type ApiError, type Schemas } from '../api/client';
import { dateTime, pos } from '../format';
import { Badge, ErrorBox } from '../ui';

const ESPECIALIDAD: Record<Schemas['Caja']['especialidad'], string> = {
  MIXTA: 'Ventas y agentes',
  SOLO_VENTAS: 'Solo ventas',
  SOLO_AGENTES: 'Solo agentes',
};
export const especialidadLabel = (e: Schemas['Caja']['especialidad']) => ESPECIALIDAD[e];

export function OperatorCards({ saldos, error }: { saldos: Schemas['OperadoraSaldo'][] | undefined; error?: ApiError | undefined }) {
  return (
    <section aria-label="Saldos de operadoras" className="operators">
      <ErrorBox error={error} />
      {(saldos ?? []).map((o) => (
        <div key={o.id} className={`operator op-${o.nombre_operadora.toLowerCase()}${o.bajo_minimo ? ' low' : ''}`} data-testid={`saldo-${o.nombre_operadora}`}>
          <div className="operator-name">{o.nombre_operadora}</div>
          <div className="operator-label">{o.bajo_minimo ? `Saldo bajo (mínimo ${pos(o.saldo_minimo)})` : 'Saldo disponible'}</div>
          <div className="operator-value">{pos(o.saldo_actual)}</div>
        </div>
      ))}
    </section>
  );
}

export const ORIGEN: Record<Schemas['CajaMovimientoDetalle']['origen'], string> = {
  MANUAL: 'Manual',
  RECARGA: 'Recarga',
  INYECCION: 'Inyección',
  APERTURA: 'Apertura',
  AJUSTE: 'Ajuste',
  ANULACION: 'Anulación',
};

export function MovementsTable({ movs }: { movs: Schemas['CajaMovimientoDetalle'][] }) {
  if (movs.length === 0) return <p className="muted">Sin movimientos.</p>;
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Fecha y hora</th>
            <th>Tipo</th>
            <th>Origen</th>
            <th>Motivo</th>
            <th className="num">Monto</th>
          </tr>
        </thead>
        <tbody>
          {movs.map((m) => (
            <tr key={m.id}>
              <td>{dateTime(m.fecha)}</td>
              <td>{m.tipo === 'INGRESO' ? <Badge tone="ok">Ingreso</Badge> : <Badge tone="bad">Egreso</Badge>}</td>
              <td>{ORIGEN[m.origen]}</td>
              <td>{m.motivo}</td>
              <td className={`num ${m.tipo === 'EGRESO' ? 'neg' : 'pos'}`}>
                {m.tipo === 'EGRESO' ? '−' : '+'}
                {pos(m.monto)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
