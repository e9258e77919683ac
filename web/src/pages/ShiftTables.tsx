import { ApiError, type Schemas } from '../api/client';
import { fmtPos } from '../money';
import { Badge, ErrorBox, fmtDate } from '../ui';

export function OperatorCards({ saldos, error }: { saldos: Schemas['OperadoraSaldo'][] | undefined; error?: ApiError | undefined }) {
  return (
    <section aria-label="Saldos de operadoras" className="operators">
      <ErrorBox error={error} />
      {(saldos ?? []).map((o) => (
        <div key={o.id} className={`operator op-${o.nombre_operadora.toLowerCase()}`} data-testid={`saldo-${o.nombre_operadora}`}>
          <div className="operator-name">{o.nombre_operadora}</div>
          <div className="operator-label">Saldo disponible</div>
          <div className="operator-value">{fmtPos(o.saldo_actual)}</div>
        </div>
      ))}
    </section>
  );
}

const ORIGEN: Record<Schemas['CajaMovimientoDetalle']['origen'], string> = {
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
            <th>Fecha</th>
            <th>Tipo</th>
            <th>Origen</th>
            <th>Motivo</th>
            <th className="num">Monto</th>
          </tr>
        </thead>
        <tbody>
          {movs.map((m) => (
            <tr key={m.id}>
              <td>{fmtDate(m.fecha)}</td>
              <td>{m.tipo === 'INGRESO' ? <Badge tone="ok">Ingreso</Badge> : <Badge tone="bad">Egreso</Badge>}</td>
              <td>{ORIGEN[m.origen]}</td>
              <td>{m.motivo}</td>
              <td className={`num ${m.tipo === 'EGRESO' ? 'neg' : 'pos'}`}>
                {m.tipo === 'EGRESO' ? '−' : '+'}
                {fmtPos(m.monto)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}


