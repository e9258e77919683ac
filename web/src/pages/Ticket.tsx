import { useState } from 'react';
import { api, run } from '../api/client';
import { dateTime, pos, shop, zoneLabel } from '../format';
import { showPhone } from '../phone';
import { ErrorBox, useLoad } from '../ui';

// A sale's ticket, for the customer: printed on a 58 or 80 mm thermal roll
// or on A4 (print CSS per format, styles.css `.print-…`), reprinted any time
// from the history. A voided sale prints as such.

export type Format = '58' | '80' | 'a4';
const FORMATS: Array<[Format, string]> = [
  ['80', 'Rollo 80 mm'],
  ['58', 'Rollo 58 mm'],
  ['a4', 'Hoja A4'],
];
/** The paper last chosen on this computer for this kind of print (a shop's printer does not change). */
export function usePrintFormat(kind: 'ticket' | 'reporte' | 'recibo', fallback: Format): [Format, (f: Format) => void] {
  const key = `consola.papel.${kind}`;
  const [format, setFormat] = useState<Format>(() => (localStorage.getItem(key) as Format | null) ?? fallback);
  return [
    format,
    (f) => {
      localStorage.setItem(key, f);
      setFormat(f);
    },
  ];
}

/** The paper size the browser prints on: a roll's width, or A4. */
export function PageSize({ format }: { format: Format }) {
  return <style>{`@page { size: ${format === 'a4' ? 'A4' : `${format}mm auto`}; margin: ${format === 'a4' ? '15mm' : '2mm'}; }`}</style>;
}

export function PrintFormat({ value, onChange }: { value: Format; onChange: (f: Format) => void }) {
  return (
    <label className="print-format">
      Papel{' '}
      <select value={value} onChange={(e) => onChange(e.target.value as Format)}>
        {FORMATS.map(([f, label]) => (
          <option key={f} value={f}>
            {label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Ticket({ id }: { id: number }) {
  const [format, setFormat] = usePrintFormat('ticket', '80');
  const sale = useLoad(() => run(() => api.GET('/recargas/cliente/{id}', { params: { path: { id: String(id) } } })), [id]);
  if (sale.error) return <ErrorBox error={sale.error} />;
  const r = sale.data;
  if (!r) return <p className="muted">Cargando…</p>;
  const voided = r.estado === 'ANULADA';
  return (
    <>
      <div className="page-head no-print">
        <a className="button ghost" href="#/historial">
          ← Historial
        </a>
        <PrintFormat value={format} onChange={setFormat} />
        <button type="button" className="primary" onClick={() => window.print()} autoFocus>
          Imprimir ticket
        </button>
      </div>
      <PageSize format={format} />
      <article className={`ticket print-${format}`} data-testid="ticket">
        <div className="shop">{shop().shopName}</div>
        <div className="ticket-title">Recarga de saldo</div>
        {voided && <div className="voided">ANULADA</div>}
        <dl>
          <dt>Operadora</dt>
          <dd>{r.operadora}</dd>
          <dt>Número</dt>
          <dd className="phone">{showPhone(r.numero_cliente)}</dd>
          <dt>Monto</dt>
          <dd className="ticket-amount">{pos(r.monto)}</dd>
          <dt>Fecha</dt>
          <dd>{dateTime(r.fecha_hora)}</dd>
          <dt>Recarga n.º</dt>
          <dd>{r.id}</dd>
          <dt>Sesión de caja</dt>
          <dd>n.º {r.id_caja_sesion}</dd>
        </dl>
        {voided && (
          <p className="small">
            Anulada el {dateTime(r.anulada_en)}: {r.motivo_anulacion}. Se devolvió {pos(r.monto)}.
          </p>
        )}
        <p className="small muted">Horas en {zoneLabel()}. Gracias por su compra.</p>
      </article>
    </>
  );
}
