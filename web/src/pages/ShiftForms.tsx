import { useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { ApiError, api, run, type Schemas } from '../api/client';
import { OPERADORAS, type Operadora } from '../components';
import { money, pos } from '../format';
import { invalidAmount, NoticeBox, useMoneyAction } from '../money-action';
import { centsToNumber, numberToCents, parseInputCents } from '../money';
import { guessOperator, normalizePhone, showPhone } from '../phone';
import { Card, Field, useConfirm } from '../ui';

// The money forms of the shift screen. Selling is keyboard-first: number,
// Enter, amount (or a quick amount), Enter opens the confirmation focused on
// «Cobrar», Enter sells; Escape cancels and says so. Every form keeps one
// Idempotency-Key per attempt (money-action.tsx).

const QUICK = [5, 10, 20, 50, 100];

export function RecargaForm({ sesionId, saldos, onDone }: { sesionId: number; saldos: Schemas['OperadoraSaldo'][] | undefined; onDone: () => void }) {
  const [numero, setNumero] = useState('');
  const [monto, setMonto] = useState('');
  const [operadora, setOperadora] = useState<Operadora>('Tigo');
  const [chosen, setChosen] = useState(false);
  const [phoneError, setPhoneError] = useState<string>();
  const numeroRef = useRef<HTMLInputElement>(null);
  const montoRef = useRef<HTMLInputElement>(null);
  const confirm = useConfirm();
  type Body = { operadora: Operadora; numero_cliente: string; monto: number; id_caja_sesion: number };
  const action = useMoneyAction((body: Body, key: string) => run(() => api.POST('/recargas/cliente', { body, headers: { 'Idempotency-Key': key } })));

  const onNumero = (text: string) => {
    setNumero(text);
    setPhoneError(undefined);
    // A new customer: what was said about the last attempt no longer applies (a done sale's note stays, with its ticket).
    if (action.notice && action.notice.kind !== 'ok' && action.notice.kind !== 'unknown') action.setNotice(null);
    const guess = normalizePhone(text).numero ?? text.replace(/\D/g, '').replace(/^591/, '');
    const g = guessOperator(guess);
    if (!chosen && g) setOperadora(g);
  };

  const sold = (r: Schemas['RecargaCliente']) => {
    action.setNotice({
      kind: 'ok',
      text: `Recarga ${r.operadora} de ${pos(r.monto)} al ${showPhone(r.numero_cliente)} registrada (n.º ${r.id}).`,
      extra: (
        <a href={`#/ticket/${r.id}`} className="button ghost small">
          Imprimir ticket
        </a>
      ),
    });
    setNumero('');
    setMonto('');
    setChosen(false);
    onDone();
    // After this render (the fields are disabled while the sale is sent).
    setTimeout(() => numeroRef.current?.focus(), 0);
  };

  const sell = async (amountText = monto) => {
    const phone = normalizePhone(numero);
    if (!phone.numero) {
      setPhoneError(phone.error);
      numeroRef.current?.focus();
      return;
    }
    const cents = parseInputCents(amountText);
    if (cents === null || cents === 0n) {
      action.setNotice({ kind: 'error', error: invalidAmount() });
      montoRef.current?.focus();
      return;
    }
    const float = saldos?.find((o) => o.nombre_operadora === operadora);
    const floatCents = float ? numberToCents(float.saldo_actual) : null;
    const warning =
      floatCents === null ? null : floatCents < cents ? (
        <p className="warning">
          {operadora} tiene solo {money(floatCents)}: esta venta será rechazada. Pida una inyección de saldo.
        </p>
      ) : float && floatCents - cents < numberToCents(float.saldo_minimo) ? (
        <p className="warning">Después de esta venta el saldo de {operadora} quedará bajo su mínimo ({pos(float.saldo_minimo)}).</p>
      ) : null;
    const ok = await confirm({
      title: 'Cobrar recarga',
      body: (
        <>
          <p className="confirm-amount">{money(cents)}</p>
          <p>
            Recarga <strong>{operadora}</strong> al <strong className="phone">{showPhone(phone.numero)}</strong>. El cliente paga {money(cents)} en efectivo.
          </p>
          {warning}
        </>
      ),
      confirmLabel: `Cobrar ${money(cents)}`,
    });
    if (!ok) {
      action.setNotice({ kind: 'cancel', text: 'Venta cancelada: no se cobró nada.' });
      montoRef.current?.focus();
      return;
    }
    await action.attempt({ operadora, numero_cliente: phone.numero, monto: centsToNumber(cents), id_caja_sesion: sesionId }, sold);
  };

  // «Verificar»: is a sale like the one sent in this session's books since it was sent?
  const verify = async () => {
    const p = action.pending();
    if (!p) return;
    try {
      const found = await run(() =>
        api.GET('/recargas/historial/clientes', {
          params: { query: { id_caja_sesion: String(sesionId), numero_cliente: p.body.numero_cliente, from: new Date(p.at.getTime() - 60_000).toISOString() } },
        }),
      );
      const match = found.find((r) => numberToCents(r.monto) === numberToCents(p.body.monto) && r.operadora === p.body.operadora);
      if (match) {
        action.resolve();
        sold(match);
      } else {
        action.setNotice({
          kind: 'unknown',
          text: 'No sabemos si se registró.',
          checked: 'No figura en esta caja todavía. «Reintentar» la envía de nuevo sin riesgo de cobrarla dos veces.',
        });
      }
    } catch {
      action.setNotice({ kind: 'unknown', text: 'No sabemos si se registró.', checked: 'Tampoco se pudo consultar: sigue sin conexión.' });
    }
  };

  const onNumeroKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    if (numero.trim() === '') return;
    const phone = normalizePhone(numero);
    if (phone.numero) montoRef.current?.focus();
    else setPhoneError(phone.error);
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void sell();
  };
  const disabled = action.busy || action.locked;

  return (
    <Card title="Vender recarga" className="sell">
      <form onSubmit={onSubmit} noValidate aria-label="Vender recarga">
        <NoticeBox notice={action.notice} onRetry={() => void action.retry()} onVerify={() => void verify()} busy={action.busy} />
        <Field label="Número de teléfono" error={phoneError ?? (action.notice?.kind === 'error' ? action.notice.error.forField('numero_cliente') : undefined)} hint="8 dígitos; +591 se quita solo">
          {(id, d) => (
            <input
              id={id}
              ref={numeroRef}
              aria-describedby={d}
              inputMode="tel"
              autoComplete="off"
              autoFocus
              value={numero}
              disabled={disabled}
              onChange={(e) => onNumero(e.target.value)}
              onKeyDown={onNumeroKey}
              placeholder="8 dígitos"
            />
          )}
        </Field>
        <fieldset className="operadoras" disabled={disabled}>
          <legend>Operadora {chosen ? '' : <span className="muted small">(según el número; puede cambiarla)</span>}</legend>
          <div className="choices">
            {OPERADORAS.map((o) => {
              const saldo = saldos?.find((s) => s.nombre_operadora === o);
              return (
                <label key={o} className={`op-choice choice-${o.toLowerCase()}${operadora === o ? ' selected' : ''}`}>
                  <input
                    type="radio"
                    name="operadora"
                    checked={operadora === o}
                    onChange={() => {
                      setOperadora(o);
                      setChosen(true);
                    }}
                  />
                  {o}
                  {saldo?.bajo_minimo && <span className="low"> saldo bajo</span>}
                </label>
              );
            })}
          </div>
        </fieldset>
        <Field label="Monto" error={action.notice?.kind === 'error' ? action.notice.error.forField('monto') : undefined}>
          {(id, d) => (
            <input id={id} ref={montoRef} aria-describedby={d} inputMode="decimal" autoComplete="off" value={monto} disabled={disabled} onChange={(e) => setMonto(e.target.value)} placeholder="0,00" />
          )}
        </Field>
        <div className="quick" role="group" aria-label="Montos rápidos">
          {QUICK.map((q) => (
            <button key={q} type="button" className="ghost" disabled={disabled} onClick={() => (setMonto(String(q)), void sell(String(q)))}>
              {q}
            </button>
          ))}
        </div>
        <button type="submit" className="primary wide" disabled={disabled}>
          {action.busy ? 'Cobrando…' : 'Cobrar'}
        </button>
      </form>
    </Card>
  );
}

/** A money form's card: fields, the notice, the submit button. */
function MoneyCard({ title, submitLabel, onSubmit, disabled, children }: { title: string; submitLabel: string; onSubmit: (e: FormEvent) => void; disabled: boolean; children: ReactNode }) {
  return (
    <Card title={title}>
      <form onSubmit={onSubmit} noValidate aria-label={title}>
        {children}
        <button type="submit" className="primary" disabled={disabled}>
          {submitLabel}
        </button>
      </form>
    </Card>
  );
}

export function MovimientoForm({ sesionId, cash, onDone }: { sesionId: number; cash: number | undefined; onDone: () => void }) {
  const [tipo, setTipo] = useState<'INGRESO' | 'EGRESO'>('INGRESO');
  const [monto, setMonto] = useState('');
  const [motivo, setMotivo] = useState('');
  const confirm = useConfirm();
  type Body = { tipo: 'INGRESO' | 'EGRESO'; monto: number; motivo: string; id_sesion_caja: number };
  const action = useMoneyAction((body: Body, key: string) => run(() => api.POST('/cajas/movimiento', { body, headers: { 'Idempotency-Key': key } })));

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const cents = parseInputCents(monto);
    if (cents === null || cents === 0n) return action.setNotice({ kind: 'error', error: invalidAmount() });
    if (!motivo.trim()) return action.setNotice({ kind: 'error', error: new ApiError(0, 'Indique el motivo del movimiento.', ['motivo']) });
    const ingreso = tipo === 'INGRESO';
    const ok = await confirm({
      title: ingreso ? 'Registrar ingreso de efectivo' : 'Registrar egreso de efectivo',
      body: (
        <>
          <p className="confirm-amount">{money(ingreso ? cents : -cents)}</p>
          <p>
            {ingreso ? 'Entra a' : 'Sale de'} la caja: “{motivo.trim()}”.
            {cash !== undefined && <> Efectivo después: {money(numberToCents(cash) + (ingreso ? cents : -cents))}.</>}
          </p>
        </>
      ),
      confirmLabel: ingreso ? 'Registrar ingreso' : 'Registrar egreso',
      danger: !ingreso,
    });
    if (!ok) return action.setNotice({ kind: 'cancel', text: 'Movimiento cancelado: no se registró nada.' });
    await action.attempt({ tipo, monto: centsToNumber(cents), motivo: motivo.trim(), id_sesion_caja: sesionId }, () => {
      action.setNotice({ kind: 'ok', text: `${ingreso ? 'Ingreso' : 'Egreso'} de ${money(cents)} registrado.` });
      setMonto('');
      setMotivo('');
      onDone();
    });
  };
  const disabled = action.busy || action.locked;

  return (
    <MoneyCard title="Ingreso o egreso de efectivo" submitLabel="Registrar movimiento" onSubmit={onSubmit} disabled={disabled}>
      <fieldset className="segmented" disabled={disabled}>
        <legend>Tipo</legend>
        <label>
          <input type="radio" name="tipo" checked={tipo === 'INGRESO'} onChange={() => setTipo('INGRESO')} /> Ingreso
        </label>
        <label>
          <input type="radio" name="tipo" checked={tipo === 'EGRESO'} onChange={() => setTipo('EGRESO')} /> Egreso
        </label>
      </fieldset>
      <Field label="Monto del movimiento" error={action.notice?.kind === 'error' ? action.notice.error.forField('monto') : undefined}>
        {(id) => <input id={id} inputMode="decimal" autoComplete="off" value={monto} disabled={disabled} onChange={(e) => setMonto(e.target.value)} placeholder="0,00" />}
      </Field>
      <Field label="Motivo" error={action.notice?.kind === 'error' ? action.notice.error.forField('motivo') : undefined}>
        {(id) => <input id={id} maxLength={255} value={motivo} disabled={disabled} onChange={(e) => setMotivo(e.target.value)} placeholder="p. ej. cambio, pago a proveedor" />}
      </Field>
      <NoticeBox notice={action.notice} onRetry={() => void action.retry()} busy={action.busy} />
    </MoneyCard>
  );
}

export function InyeccionForm({ sesionId, cash, onDone }: { sesionId: number; cash: number | undefined; onDone: () => void }) {
  const [operadora, setOperadora] = useState<Operadora>('Tigo');
  const [monto, setMonto] = useState('');
  const confirm = useConfirm();
  type Body = { operadora_destino: Operadora; monto: number; id_caja_sesion: number };
  const action = useMoneyAction((body: Body, key: string) => run(() => api.POST('/recargas/inyeccion', { body, headers: { 'Idempotency-Key': key } })));

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const cents = parseInputCents(monto);
    if (cents === null || cents === 0n) return action.setNotice({ kind: 'error', error: invalidAmount() });
    const ok = await confirm({
      title: 'Comprar saldo a la operadora',
      body: (
        <>
          <p className="confirm-amount">{money(cents)}</p>
          <p>
            Se pagan con el efectivo de la caja para cargar saldo de <strong>{operadora}</strong>
            {cash !== undefined && <> (efectivo disponible: {pos(cash)})</>}.
          </p>
        </>
      ),
      confirmLabel: `Inyectar ${money(cents)}`,
    });
    if (!ok) return action.setNotice({ kind: 'cancel', text: 'Inyección cancelada: no se registró nada.' });
    await action.attempt({ operadora_destino: operadora, monto: centsToNumber(cents), id_caja_sesion: sesionId }, () => {
      action.setNotice({ kind: 'ok', text: `Inyección de ${money(cents)} a ${operadora} registrada.` });
      setMonto('');
      onDone();
    });
  };
  const disabled = action.busy || action.locked;

  return (
    <MoneyCard title="Inyección de saldo a operadora" submitLabel="Inyectar saldo" onSubmit={onSubmit} disabled={disabled}>
      <Field label="Operadora destino">
        {(id) => (
          <select id={id} value={operadora} disabled={disabled} onChange={(e) => setOperadora(e.target.value as Operadora)}>
            {OPERADORAS.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Monto de la inyección" error={action.notice?.kind === 'error' ? action.notice.error.forField('monto') : undefined}>
        {(id) => <input id={id} inputMode="decimal" autoComplete="off" value={monto} disabled={disabled} onChange={(e) => setMonto(e.target.value)} placeholder="0,00" />}
      </Field>
      <NoticeBox notice={action.notice} onRetry={() => void action.retry()} busy={action.busy} />
    </MoneyCard>
  );
}
