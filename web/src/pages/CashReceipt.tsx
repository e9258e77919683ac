import { api, run } from '../api/client';
import { dateTime, shop, wallet as walletAmount, zoneLabel } from '../format';
import { ErrorBox, useLoad } from '../ui';
import { PageSize, PrintFormat, usePrintFormat } from './Ticket';

// The driver's receipt for cash handed in at a collection point: printed
// when it is recorded (pending: the wallet is not credited yet) and again
// when it is confirmed (with the balance after it), on a 58 or 80 mm roll or
// A4. Amounts in the wallet's currency.

/** The receipt page of one top-up. */
export const receiptHref = (ccrId: string) => `#/wallets/recibo/${ccrId}`;

/** The note after recording or confirming, with its receipt. */
export function ReceiptNote({ text, ccrId }: { text: string; ccrId: string }) {
  return (
    <div className="flash" role="status">
      {text}{' '}
      <a className="button ghost small" href={receiptHref(ccrId)}>
        Imprimir recibo
      </a>
    </div>
  );
}

export function CashReceipt({ ccrId }: { ccrId: string }) {
  const [format, setFormat] = usePrintFormat('recibo', '80');
  const record = useLoad(() => run(() => api.GET('/drivers-balance/topups/{ccrId}', { params: { path: { ccrId } } })), [ccrId]);
  const r = record.data?.data;
  // The balance right after the credit: the wallet movement of this top-up.
  const movement = useLoad(
    () =>
      r?.status === 'completed'
        ? run(() => api.GET('/drivers-balance/{walletId}/movements', { params: { path: { walletId: r.walletId }, query: { transactionId: r.transactionId } } }))
        : Promise.resolve(undefined),
    [r?.status, r?.walletId, r?.transactionId],
  );
  if (record.error) return <ErrorBox error={record.error} />;
  if (!r) return <p className="muted">Cargando…</p>;
  const after = movement.data?.data[0]?.newBalance;
  const title = r.status === 'completed' ? 'Recarga de billetera acreditada' : 'Recibo de efectivo';

  return (
    <>
      <div className="page-head no-print">
        <button type="button" className="ghost" onClick={() => history.back()}>
          ← Volver
        </button>
        <PrintFormat value={format} onChange={setFormat} />
        <button type="button" className="primary" onClick={() => window.print()} autoFocus>
          Imprimir recibo
        </button>
      </div>
      <PageSize format={format} />
      <article className={`ticket print-${format}`} data-testid="receipt">
        <div className="shop">{shop().shopName}</div>
        <div className="ticket-title">{title}</div>
        {r.status === 'cancelled' && <div className="voided">CANCELADA</div>}
        <dl>
          <dt>Conductor</dt>
          <dd>{r.driverName}</dd>
          <dt>Monto</dt>
          <dd className="ticket-amount">{walletAmount(r.amount, r.currency)}</dd>
          <dt>Recibido</dt>
          <dd>{dateTime(r.createdAt)}</dd>
          <dt>Punto de cobro</dt>
          <dd>{r.collectionPointName}</dd>
          <dt>Cobrado por</dt>
          <dd>{r.collectedByName}</dd>
          {r.notes && (
            <>
              <dt>Nota</dt>
              <dd>{r.notes}</dd>
            </>
          )}
          {r.status === 'completed' && (
            <>
              <dt>Acreditada</dt>
              <dd>{dateTime(r.confirmedAt)}</dd>
              <dt>Saldo después</dt>
              <dd>{after ? walletAmount(after, r.currency) : '…'}</dd>
            </>
          )}
          <dt>Comprobante</dt>
          <dd className="receipt-id">{r.cashCollectionRecordId}</dd>
        </dl>
        {r.status === 'pending' && <p className="small">Pendiente de confirmación: el saldo se acredita a la billetera cuando un supervisor la confirme.</p>}
        {r.status === 'cancelled' && (
          <p className="small">
            Cancelada el {dateTime(r.cancelledAt)}: {r.cancelReason}. No se acreditó nada.
          </p>
        )}
        <p className="small muted">Horas en {zoneLabel()}. Conserve este recibo.</p>
      </article>
    </>
  );
}
