import { useState, type FormEvent } from 'react';
import { ApiError, api, run, type Schemas } from '../api/client';
import { amount, money } from '../format';
import { centsToNumber, numberToCents, parseInputCents } from '../money';
import { asApiError, ErrorBox, Field, Modal, useLoad } from '../ui';

// Closing a caja: count the cash by notes and coins (or type the total), see
// the difference against the expected cash in integer cents, explain any
// difference, confirm. The count is stored with the session.

/** Bolivian notes and coins, in cents. */
const DENOMINACIONES = [20000n, 10000n, 5000n, 2000n, 1000n, 500n, 200n, 100n, 50n, 20n, 10n];
const isNote = (c: bigint) => c >= 1000n;

export function differenceLabel(diff: bigint) {
  return diff === 0n ? 'Cuadra' : diff < 0n ? 'Faltante' : 'Sobrante';
}

export function CloseDialog({ sesion, onClose, onClosed }: { sesion: Schemas['CajaSesion']; onClose: () => void; onClosed: () => void }) {
  const teorico = useLoad(() => run(() => api.GET('/cajas/sesion/{id}/balance', { params: { path: { id: String(sesion.id) } } })), [sesion.id]);
  const [counts, setCounts] = useState<Record<string, string>>({});
  const [typed, setTyped] = useState('');
  const [observacion, setObservacion] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  const conteo = DENOMINACIONES.map((d) => ({ d, n: /^\d{1,6}$/.test(counts[String(d)] ?? '') ? Number(counts[String(d)]) : 0 })).filter((c) => c.n > 0);
  const byCount = conteo.length > 0;
  const counted = byCount ? conteo.reduce((s, c) => s + c.d * BigInt(c.n), 0n) : parseInputCents(typed);
  const expected = teorico.data !== undefined ? numberToCents(teorico.data) : null;
  const diff = counted !== null && expected !== null ? counted - expected : null;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (counted === null) return setError(new ApiError(0, 'Cuente el efectivo: por billetes y monedas, o escriba el total.', ['monto_final_real']));
    if (diff !== null && diff !== 0n && !observacion.trim()) {
      return setError(new ApiError(0, `Hay un ${differenceLabel(diff).toLowerCase()} de ${money(diff < 0n ? -diff : diff)}: explique el motivo en la observación.`, ['observacion']));
    }
    setBusy(true);
    try {
      await run(() =>
        api.PATCH('/cajas/sesion/{id}/cerrar', {
          params: { path: { id: String(sesion.id) } },
          body: {
            monto_final_real: centsToNumber(counted),
            ...(observacion.trim() ? { observacion: observacion.trim() } : {}),
            ...(byCount ? { conteo: conteo.map((c) => ({ denominacion: centsToNumber(c.d), cantidad: c.n })) } : {}),
          },
        }),
      );
      onClosed();
    } catch (err) {
      setError(asApiError(err));
      teorico.reload();
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal open title="Cierre de caja" onClose={onClose}>
      <form onSubmit={onSubmit} noValidate className="close-form">
        <p className="muted">Cuente el efectivo de la caja. Al confirmar se registra la diferencia y la caja ya no admite movimientos.</p>
        <dl className="summary">
          <dt>Efectivo esperado</dt>
          <dd data-testid="cierre-teorico">{expected === null ? '…' : money(expected)}</dd>
        </dl>
        <fieldset className="conteo">
          <legend>Conteo por billetes y monedas</legend>
          <div className="conteo-grid">
            {DENOMINACIONES.map((d) => (
              <label key={String(d)} className={isNote(d) ? 'note' : 'coin'}>
                <span>{amount(d)}</span>
                <input
                  inputMode="numeric"
                  aria-label={`Cantidad de ${isNote(d) ? 'billetes' : 'monedas'} de ${amount(d)}`}
                  value={counts[String(d)] ?? ''}
                  onChange={(e) => setCounts({ ...counts, [String(d)]: e.target.value.replace(/\D/g, '') })}
                  placeholder="0"
                />
              </label>
            ))}
          </div>
        </fieldset>
        <Field label="Efectivo contado (total)" hint={byCount ? 'Sumado del conteo' : 'O escríbalo si no cuenta por billetes'}>
          {(id, d) =>
            byCount ? (
              <output id={id} aria-describedby={d} className="counted" data-testid="cierre-contado">
                {money(counted!)}
              </output>
            ) : (
              <input id={id} aria-describedby={d} inputMode="decimal" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="0,00" />
            )
          }
        </Field>
        <dl className="summary">
          <dt>Diferencia (contado − esperado)</dt>
          <dd data-testid="cierre-diferencia" className={diff === null ? '' : diff < 0n ? 'neg' : diff > 0n ? 'warn' : 'pos'}>
            {diff === null ? '—' : `${differenceLabel(diff)}${diff === 0n ? '' : ` de ${money(diff < 0n ? -diff : diff)}`}`}
          </dd>
        </dl>
        <Field label={diff !== null && diff !== 0n ? 'Observación (obligatoria: explique la diferencia)' : 'Observación (opcional)'} error={error?.forField('observacion')}>
          {(id) => <textarea id={id} maxLength={500} rows={2} value={observacion} onChange={(e) => (setObservacion(e.target.value), error?.forField('observacion') && setError(undefined))} />}
        </Field>
        <ErrorBox error={error ?? teorico.error} />
        <div className="actions">
          <button type="button" className="ghost" onClick={onClose}>
            Volver
          </button>
          <button type="submit" className="danger" disabled={busy || counted === null}>
            Cerrar caja{counted !== null ? ` con ${money(counted)}` : ''}
          </button>
        </div>
      </form>
    </Modal>
  );
}
