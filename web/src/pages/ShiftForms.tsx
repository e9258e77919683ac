import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, api, run, type Schemas } from '../api/client';
import { centsToNumber, fmtPos, formatCents, numberToCents, parseInputCents } from '../money';
import { MoneyInput, OperadoraSelect, useIdempotentSend, type Operadora } from '../components';
import { asApiError, Card, ErrorBox, Field, Flash, Modal, useConfirm, useFlash, useLoad } from '../ui';

// Money forms of the shift screen: a local amount check, confirmation with
// the amount, an Idempotency-Key per attempt, the API's answer; and closing.

const invalidMonto = () => new ApiError(0, 'monto: indique un monto con hasta dos decimales', ['monto: indique un monto con hasta dos decimales']);

function useMoneyForm() {
  const [error, setError] = useState<ApiError>();
  const [flash, setFlash] = useFlash();
  const confirm = useConfirm();
  const { busy, send } = useIdempotentSend(setError);
  /** Runs one confirmed money POST; returns true on success. */
  const submit = <B,>(body: B, post: (body: B, key: string) => Promise<unknown>, done: string): Promise<boolean> =>
    send(body, (key) => post(body, key), () => {
      setError(undefined);
      setFlash(done);
    });
  return { error, setError, busy, flash, confirm, submit };
}

/** The card of one money form: its fields, the error, the success note and the submit button. */
function MoneyFormCard({
  title,
  label,
  submitLabel,
  onSubmit,
  f,
  children,
}: {
  title: string;
  label: string;
  submitLabel: string;
  onSubmit: (e: FormEvent) => void;
  f: ReturnType<typeof useMoneyForm>;
  children: ReactNode;
}) {
  return (
    <Card title={title}>
      <form onSubmit={onSubmit} noValidate aria-label={label}>
        {children}
        <ErrorBox error={f.error} />
        <Flash msg={f.flash} />
        <button type="submit" className="primary" disabled={f.busy}>
          {submitLabel}
        </button>
      </form>
    </Card>
  );
}

export function RecargaForm({ sesionId, saldos, onDone }: { sesionId: number; saldos: Schemas['OperadoraSaldo'][] | undefined; onDone: () => void }) {
  const [operadora, setOperadora] = useState<Operadora>('Tigo');
  const [numero, setNumero] = useState('');
  const [monto, setMonto] = useState('');
  const f = useMoneyForm();
  const saldo = saldos?.find((o) => o.nombre_operadora === operadora);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const cents = parseInputCents(monto);
    if (cents === null) return f.setError(invalidMonto());
    f.setError(undefined);
    const ok = await f.confirm({
      title: 'Confirmar recarga',
      body: (
        <p>
          Vender una recarga <strong>{operadora}</strong> al número <strong>{numero}</strong> por <strong className="amount">{formatCents(cents)}</strong>. El
          cliente paga {formatCents(cents)} en efectivo.
        </p>
      ),
      confirmLabel: `Cobrar ${formatCents(cents)}`,
    });
    if (!ok) return;
    const body = { operadora, numero_cliente: numero.trim(), monto: centsToNumber(cents), id_caja_sesion: sesionId };
    const done = await f.submit(body, (b, key) => run(() => api.POST('/recargas/cliente', { body: b, headers: { 'Idempotency-Key': key } })), `Recarga de ${formatCents(cents)} a ${body.numero_cliente} registrada`);
    if (done) {
      setNumero('');
      setMonto('');
    }
    onDone();
  };

  return (
    <MoneyFormCard title="Vender recarga" label="Vender recarga" submitLabel="Vender recarga" onSubmit={onSubmit} f={f}>
      <OperadoraSelect label="Operadora" value={operadora} onChange={setOperadora} error={f.error?.forField('operadora')} />
      <Field label="Número de teléfono" error={f.error?.forField('numero_cliente')}>
        {(id, d) => <input id={id} aria-describedby={d} inputMode="tel" autoComplete="off" value={numero} onChange={(e) => setNumero(e.target.value)} placeholder="70012345" />}
      </Field>
      <MoneyInput label="Monto" value={monto} onChange={setMonto} error={f.error?.forField('monto')} hint={saldo ? `Saldo ${operadora}: ${fmtPos(saldo.saldo_actual)}` : undefined} />
    </MoneyFormCard>
  );
}

export function MovimientoForm({ sesionId, cash, onDone }: { sesionId: number; cash: number | undefined; onDone: () => void }) {
  const [tipo, setTipo] = useState<'INGRESO' | 'EGRESO'>('INGRESO');
  const [monto, setMonto] = useState('');
  const [motivo, setMotivo] = useState('');
  const f = useMoneyForm();

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const cents = parseInputCents(monto);
    if (cents === null) return f.setError(invalidMonto());
    f.setError(undefined);
    const ok = await f.confirm({
      title: tipo === 'INGRESO' ? 'Confirmar ingreso de efectivo' : 'Confirmar egreso de efectivo',
      body: (
        <p>
          {tipo === 'INGRESO' ? 'Ingresar' : 'Retirar'} <strong className="amount">{formatCents(cents)}</strong> {tipo === 'INGRESO' ? 'a' : 'de'} la caja
          {motivo.trim() && <> — motivo: “{motivo.trim()}”</>}.
          {cash !== undefined && (
            <>
              {' '}
              Efectivo después: <strong>{formatCents(numberToCents(cash) + (tipo === 'INGRESO' ? cents : -cents))}</strong>
            </>
          )}
        </p>
      ),
      confirmLabel: tipo === 'INGRESO' ? 'Registrar ingreso' : 'Registrar egreso',
      danger: tipo === 'EGRESO',
    });
    if (!ok) return;
    const body = { tipo, monto: centsToNumber(cents), motivo: motivo.trim(), id_sesion_caja: sesionId };
    const done = await f.submit(body, (b, key) => run(() => api.POST('/cajas/movimiento', { body: b, headers: { 'Idempotency-Key': key } })), `${tipo === 'INGRESO' ? 'Ingreso' : 'Egreso'} de ${formatCents(cents)} registrado`);
    if (done) {
      setMonto('');
      setMotivo('');
    }
    onDone();
  };

  return (
    <MoneyFormCard title="Ingreso / egreso manual" label="Ingreso o egreso manual" submitLabel="Registrar movimiento" onSubmit={onSubmit} f={f}>
      <fieldset className="segmented">
        <legend>Tipo</legend>
        <label>
          <input type="radio" name="tipo" checked={tipo === 'INGRESO'} onChange={() => setTipo('INGRESO')} /> Ingreso
        </label>
        <label>
          <input type="radio" name="tipo" checked={tipo === 'EGRESO'} onChange={() => setTipo('EGRESO')} /> Egreso
        </label>
      </fieldset>
      <MoneyInput label="Monto del movimiento" value={monto} onChange={setMonto} error={f.error?.forField('monto')} />
      <Field label="Motivo" error={f.error?.forField('motivo')}>
        {(id, d) => <input id={id} aria-describedby={d} maxLength={255} value={motivo} onChange={(e) => setMotivo(e.target.value)} placeholder="p. ej. cambio, pago a proveedor" />}
      </Field>
    </MoneyFormCard>
  );
}

export function InyeccionForm({ sesionId, cash, onDone }: { sesionId: number; cash: number | undefined; onDone: () => void }) {
  const [operadora, setOperadora] = useState<Operadora>('Tigo');
  const [monto, setMonto] = useState('');
  const f = useMoneyForm();

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const cents = parseInputCents(monto);
    if (cents === null) return f.setError(invalidMonto());
    f.setError(undefined);
    const ok = await f.confirm({
      title: 'Confirmar inyección',
      body: (
        <p>
          Inyectar <strong className="amount">{formatCents(cents)}</strong> al saldo de <strong>{operadora}</strong>, pagados con el efectivo de la sesión #{sesionId}
          {cash !== undefined && <> (efectivo disponible: {fmtPos(cash)})</>}.
        </p>
      ),
      confirmLabel: `Inyectar ${formatCents(cents)}`,
    });
    if (!ok) return;
    const body = { operadora_destino: operadora, monto: centsToNumber(cents), id_caja_sesion: sesionId };
    const done = await f.submit(body, (b, key) => run(() => api.POST('/recargas/inyeccion', { body: b, headers: { 'Idempotency-Key': key } })), `Inyección de ${formatCents(cents)} a ${operadora} registrada`);
    if (done) setMonto('');
    onDone();
  };

  return (
    <MoneyFormCard title="Inyección a operadora" label="Inyección a operadora" submitLabel="Inyectar saldo" onSubmit={onSubmit} f={f}>
      <OperadoraSelect label="Operadora destino" value={operadora} onChange={setOperadora} error={f.error?.forField('operadora_destino')} />
      <MoneyInput label="Monto de la inyección" value={monto} onChange={setMonto} error={f.error?.forField('monto')} />
    </MoneyFormCard>
  );
}

// ---- close: count the cash, see the difference (integer cents), confirm


export function CloseDialog({ sesion, onClose, onClosed }: { sesion: Schemas['CajaSesion']; onClose: () => void; onClosed: () => void }) {
  // The latest teórico, fetched when the dialog opens.
  const teorico = useLoad(() => run(() => api.GET('/cajas/sesion/{id}/balance', { params: { path: { id: String(sesion.id) } } })), [sesion.id]);
  const [count, setCount] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const cents = parseInputCents(count);
  const teoricoCents = teorico.data !== undefined ? numberToCents(teorico.data) : null;
  const diff = cents !== null && teoricoCents !== null ? cents - teoricoCents : null;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (cents === null) return setError(new ApiError(0, 'Indique el efectivo contado (hasta dos decimales)'));
    setBusy(true);
    try {
      await run(() => api.PATCH('/cajas/sesion/{id}/cerrar', { params: { path: { id: String(sesion.id) } }, body: { monto_final_real: centsToNumber(cents) } }));
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
        <p className="muted">Cuente el efectivo de la caja e ingréselo. La diferencia se registra al confirmar y la sesión ya no admite movimientos.</p>
        <dl className="summary">
          <dt>Efectivo teórico</dt>
          <dd data-testid="cierre-teorico">{teoricoCents === null ? '…' : formatCents(teoricoCents)}</dd>
        </dl>
        <Field label="Efectivo contado">
          {(id) => <input id={id} inputMode="decimal" autoFocus autoComplete="off" value={count} onChange={(e) => setCount(e.target.value)} placeholder="0.00" />}
        </Field>
        <dl className="summary">
          <dt>Diferencia (contado − teórico)</dt>
          <dd data-testid="cierre-diferencia" className={diff === null ? '' : diff < 0n ? 'neg' : diff > 0n ? 'pos' : ''}>
            {diff === null ? '—' : `${diff > 0n ? '+' : ''}${formatCents(diff)}`}
            {diff !== null && <span className="muted small"> {diff === 0n ? '(cuadra)' : diff < 0n ? '(faltante)' : '(sobrante)'}</span>}
          </dd>
        </dl>
        <ErrorBox error={error ?? teorico.error} />
        <div className="actions">
          <button type="button" className="ghost" onClick={onClose}>
            Volver
          </button>
          <button type="submit" className="danger" disabled={busy || cents === null}>
            Confirmar cierre{cents !== null ? ` con ${formatCents(cents)}` : ''}
          </button>
        </div>
      </form>
    </Modal>
  );
}

