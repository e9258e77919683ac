import { useState, type FormEvent } from 'react';
import { ApiError, api, run, type Schemas } from '../api/client';
import { useIdempotentSend } from '../components';
import { money } from '../format';
import { centsToDecimal, decimalToCents, parseInputCents } from '../money';
import { ErrorBox, Field, Modal } from '../ui';

// A debit from a driver's wallet (commission, penalty, plan purchase,
// adjustment), by an Administrador. The dialog says what the balance becomes
// and whether the wallet's negative limit allows it before anything is sent;
// the server decides (INSUFFICIENT_FUNDS, WALLET_BLOCKED) all the same.

/** How far below zero debits may take the wallet, in words. */
export function negativeLimitText(w: Schemas['WalletBalance']): string {
  const limit = decimalToCents(w.allowedNegativeLimit);
  return limit === 0n ? 'No puede quedar en negativo' : `Puede llegar a ${money(-limit, w.currency)}`;
}

type DebitType = Schemas['WalletMovement']['type'];
export const DEBIT_LABEL: Array<[Exclude<DebitType, 'cash_topup'>, string]> = [
  ['commission', 'Comisión'],
  ['penalty', 'Multa'],
  ['plan_purchase', 'Compra de plan'],
  ['adjustment', 'Ajuste'],
];

export function DebitDialog({ wallet, name, onClose, onDone }: { wallet: Schemas['WalletBalance']; name: string; onClose: () => void; onDone: (msg: string) => void }) {
  const [type, setType] = useState<Exclude<DebitType, 'cash_topup'>>('commission');
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const [reference, setReference] = useState('');
  const [error, setError] = useState<ApiError>();
  const [checked, setChecked] = useState(false);
  const { busy, send } = useIdempotentSend(setError);
  const cur = wallet.currency;
  const cents = parseInputCents(amount);
  const balance = decimalToCents(wallet.currentWalletBalance);
  const floor = -decimalToCents(wallet.allowedNegativeLimit);
  const after = cents === null ? null : balance - cents;
  const label = DEBIT_LABEL.find(([t]) => t === type)![1];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    if (cents === null || cents === 0n) return setError(new ApiError(0, 'Indique un monto mayor que cero, con hasta dos decimales.', ['amount']));
    // First submit shows the outcome; the second sends.
    if (!checked) return setChecked(true);
    const body = { type, amount: centsToDecimal(cents), ...(note.trim() ? { note: note.trim() } : {}), ...(reference.trim() ? { reference: reference.trim() } : {}) };
    await send(
      { driverId: wallet.driverId, body },
      (key) => run(() => api.POST('/drivers-balance/{driverId}/debits', { params: { path: { driverId: wallet.driverId } }, body, headers: { 'Idempotency-Key': key } })),
      (res) => onDone(`${label} de ${money(cents, cur)} registrada. Saldo ${money(decimalToCents(res.data.previousBalance), cur)} → ${money(decimalToCents(res.data.newBalance), cur)}.`),
    );
  };

  const tooMuch = after !== null && after < floor;
  return (
    <Modal open title={`Débito a la billetera de ${name}`} onClose={onClose}>
      <form onSubmit={submit} noValidate aria-label="Registrar débito">
        <Field label="Tipo">
          {(id) => (
            <select id={id} value={type} onChange={(e) => (setType(e.target.value as typeof type), setChecked(false))} disabled={checked}>
              {DEBIT_LABEL.map(([t, l]) => (
                <option key={t} value={t}>
                  {l}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={`Monto (${cur})`} error={error?.forField('amount')}>
          {(id) => (
            <input id={id} inputMode="decimal" autoComplete="off" autoFocus value={amount} disabled={checked} onChange={(e) => (setAmount(e.target.value), setChecked(false))} placeholder="0,00" />
          )}
        </Field>
        <Field label="Nota" error={error?.forField('note')}>
          {(id) => <input id={id} maxLength={255} value={note} disabled={checked} onChange={(e) => setNote(e.target.value)} placeholder="p. ej. Comisión de la semana" />}
        </Field>
        <Field label="Referencia (opcional)" error={error?.forField('reference')}>
          {(id) => <input id={id} maxLength={255} value={reference} disabled={checked} onChange={(e) => setReference(e.target.value)} />}
        </Field>
        {checked && cents !== null && after !== null && (
          <div className={`debit-outcome ${tooMuch ? 'bad' : after < 0n ? 'warn' : ''}`} role="status" data-testid="debit-outcome">
            <p>
              {label} de <strong className="amount">{money(cents, cur)}</strong>: el saldo pasa de {money(balance, cur)} a <strong>{money(after, cur)}</strong>.
            </p>
            <p className="small">
              {negativeLimitText(wallet)}.{' '}
              {tooMuch
                ? 'Este débito supera ese límite: será rechazado. Reduzca el monto o pida ampliar el límite.'
                : after < 0n
                  ? `La billetera queda en negativo (${money(after, cur)}): el conductor debe recargar para volver a cero.`
                  : ''}
            </p>
            {wallet.status === 'blocked' && <p className="small">La billetera está bloqueada: el débito será rechazado.</p>}
          </div>
        )}
        <ErrorBox error={error} />
        <div className="actions">
          <button type="button" className="ghost" onClick={checked ? () => setChecked(false) : onClose}>
            {checked ? 'Corregir' : 'Volver'}
          </button>
          <button type="submit" className={checked ? 'danger' : 'primary'} disabled={busy || (checked && (tooMuch || wallet.status === 'blocked'))}>
            {checked && cents !== null ? `Debitar ${money(cents, cur)}` : 'Revisar débito'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
