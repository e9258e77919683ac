import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, api, run, type Schemas, type Session } from '../api/client';
import { centsToNumber, fmtPos, formatCents, numberToCents, parseInputCents } from '../money';
import { navigate } from '../router';
import { MoneyInput, OperadoraSelect, useIdempotentSend, type Operadora } from '../components';
import { asApiError, Badge, Card, ErrorBox, Field, Flash, fmtDate, Modal, useConfirm, useFlash, useLoad } from '../ui';

export { OPERADORAS, type Operadora } from '../components';

/** The caller's open cash session; `null` when there is none. */
export function useActiveSession() {
  return useLoad(async () => {
    try {
      return await run(() => api.GET('/cajas/sesion-activa'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }, []);
}

/** "Mi caja": the caller's open session, or the form to open one. */
export function Shift({ session }: { session: Session }) {
  const active = useActiveSession();
  if (active.loading && active.data === undefined) return <p className="muted">Cargando…</p>;
  if (active.error) return <ErrorBox error={active.error} />;
  if (active.data) return <SessionView id={active.data.id} session={session} />;
  return <OpenSession onOpened={active.reload} />;
}

function OpenSession({ onOpened }: { onOpened: () => void }) {
  const cajas = useLoad(() => run(() => api.GET('/cajas')), []);
  const [cajaId, setCajaId] = useState('');
  const [monto, setMonto] = useState('');
  const [error, setError] = useState<ApiError>();
  const { busy, send } = useIdempotentSend(setError);
  const confirm = useConfirm();
  const available = (cajas.data ?? []).filter((c) => c.estado && !c.sesion_activa);
  const caja = available.find((c) => String(c.id) === cajaId);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    if (!caja) return setError(new ApiError(0, 'Elija una caja'));
    const cents = monto.trim() === '' ? null : parseInputCents(monto);
    if (monto.trim() !== '' && cents === null) return setError(new ApiError(0, 'Monto inicial inválido: use hasta dos decimales'));
    const inicial = cents ?? numberToCents(caja.saldo);
    const ok = await confirm({
      title: 'Abrir sesión de caja',
      body: (
        <p>
          Abrir <strong>{caja.nombre}</strong> con un monto inicial de <strong className="amount">{formatCents(inicial)}</strong>
          {inicial !== numberToCents(caja.saldo) && <> (el saldo registrado es {fmtPos(caja.saldo)}; la diferencia se registra como ajuste)</>}?
        </p>
      ),
      confirmLabel: 'Abrir sesión',
    });
    if (!ok) return;
    const body = { id_caja: caja.id, ...(cents !== null ? { monto_inicial: centsToNumber(cents) } : {}) };
    await send(body, (key) => run(() => api.POST('/cajas/abrir', { body, headers: { 'Idempotency-Key': key } })), onOpened);
  };

  return (
    <>
      <h1>Mi caja</h1>
      <Card title="Abrir sesión de caja" className="narrow">
        <p className="muted">No tiene una sesión abierta. Elija la caja y cuente el efectivo inicial.</p>
        <form onSubmit={submit} noValidate>
          <Field label="Caja">
            {(id) => (
              <select id={id} value={cajaId} onChange={(e) => setCajaId(e.target.value)} required autoFocus>
                <option value="">— elegir —</option>
                {available.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.nombre} · saldo {fmtPos(c.saldo)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Monto inicial (efectivo contado)" hint={caja ? `Vacío = saldo registrado (${fmtPos(caja.saldo)})` : undefined}>
            {(id, d) => <input id={id} aria-describedby={d} inputMode="decimal" value={monto} onChange={(e) => setMonto(e.target.value)} placeholder="0.00" />}
          </Field>
          <ErrorBox error={error ?? cajas.error} />
          {cajas.data && available.length === 0 && <p className="muted">No hay cajas activas libres.</p>}
          <button type="submit" className="primary" disabled={busy}>
            Abrir sesión
          </button>
        </form>
      </Card>
    </>
  );
}

/** A session: live cash, operator balances, the money forms (if the caller may act), movements. */
export function SessionView({ id, session }: { id: number; session: Session }) {
  const sesion = useLoad(() => run(() => api.GET('/cajas/sesion/{id}', { params: { path: { id: String(id) } } })), [id], 10_000);
  const balance = useLoad(() => run(() => api.GET('/cajas/sesion/{id}/balance', { params: { path: { id: String(id) } } })), [id], 10_000);
  const movs = useLoad(() => run(() => api.GET('/cajas/sesion/{id}/movimientos', { params: { path: { id: String(id) } } })), [id], 10_000);
  const saldos = useLoad(() => run(() => api.GET('/recargas/operadoras/saldos')), [], 10_000);
  const cajaId = sesion.data?.id_caja;
  const caja = useLoad(
    () => (cajaId ? run(() => api.GET('/cajas/{id}', { params: { path: { id: String(cajaId) } } })) : Promise.resolve(undefined)),
    [cajaId],
  );
  const [closing, setClosing] = useState(false);

  const s = sesion.data;
  if (!s) return sesion.error ? <ErrorBox error={sesion.error} /> : <p className="muted">Cargando…</p>;
  const role = session.user.role;
  const open = s.estado_sesion === 'ABIERTA';
  const canAct = open && (role === 'Administrador' || (role === 'Operador' && s.id_usuario === session.user.id));
  const refresh = () => {
    sesion.reload();
    balance.reload();
    movs.reload();
    saldos.reload();
  };

  return (
    <>
      <div className="page-head">
        <h1>
          {caja.data?.nombre ?? `Caja ${s.id_caja}`} <span className="muted">· Sesión #{s.id}</span>
        </h1>
        <div className="page-actions">
          {open ? <Badge tone="ok">ABIERTA</Badge> : <Badge tone="muted">CERRADA</Badge>}
          <a className="button ghost" href={`#/caja/sesion/${s.id}/reporte`}>
            Reporte de cierre
          </a>
          {canAct && (
            <button type="button" className="danger" onClick={() => setClosing(true)}>
              Cerrar caja
            </button>
          )}
        </div>
      </div>

      <div className="kpis">
        <div className="kpi main">
          <div className="kpi-label">{open ? 'Efectivo en caja (teórico)' : 'Teórico al cierre'}</div>
          <div className="kpi-value" data-testid="efectivo">
            {fmtPos(open ? (balance.data ?? s.monto_final_teorico) : s.monto_final_teorico)}
          </div>
        </div>
        <div className="kpi">
          <div className="kpi-label">Monto inicial</div>
          <div className="kpi-value">{fmtPos(s.monto_inicial)}</div>
        </div>
        <div className="kpi">
          <div className="kpi-label">Ingresos</div>
          <div className="kpi-value pos">{fmtPos(s.total_ingresos)}</div>
        </div>
        <div className="kpi">
          <div className="kpi-label">Egresos</div>
          <div className="kpi-value neg">{fmtPos(s.total_egresos)}</div>
        </div>
        {!open && (
          <>
            <div className="kpi">
              <div className="kpi-label">Efectivo contado</div>
              <div className="kpi-value">{fmtPos(s.monto_final_real)}</div>
            </div>
            <div className="kpi">
              <div className="kpi-label">Diferencia</div>
              <div className={`kpi-value ${s.diferencia && s.diferencia < 0 ? 'neg' : ''}`}>{fmtPos(s.diferencia)}</div>
            </div>
          </>
        )}
      </div>
      <p className="muted small">
        Abierta {fmtDate(s.fecha_apertura)}
        {s.fecha_cierre && <> · cerrada {fmtDate(s.fecha_cierre)}</>}
        {open && <> · se actualiza cada 10 s</>}
      </p>

      <OperatorCards saldos={saldos.data} error={saldos.error} />

      {canAct && (
        <div className="grid2">
          <RecargaForm sesionId={s.id} saldos={saldos.data} onDone={refresh} />
          <MovimientoForm sesionId={s.id} cash={balance.data} onDone={refresh} />
          {role === 'Administrador' && <InyeccionForm sesionId={s.id} cash={balance.data} onDone={refresh} />}
        </div>
      )}

      <Card title="Movimientos de la sesión">
        <ErrorBox error={movs.error} />
        <MovementsTable movs={movs.data ?? []} />
      </Card>

      {closing && (
        <CloseDialog
          sesion={s}
          onClose={() => setClosing(false)}
          onClosed={() => {
            setClosing(false);
            navigate(`/caja/sesion/${s.id}/reporte`);
          }}
        />
      )}
    </>
  );
}

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

// ---- money forms: local amount check, confirmation with the amount, Idempotency-Key, the API's answer

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

function RecargaForm({ sesionId, saldos, onDone }: { sesionId: number; saldos: Schemas['OperadoraSaldo'][] | undefined; onDone: () => void }) {
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

function MovimientoForm({ sesionId, cash, onDone }: { sesionId: number; cash: number | undefined; onDone: () => void }) {
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

function CloseDialog({ sesion, onClose, onClosed }: { sesion: Schemas['CajaSesion']; onClose: () => void; onClosed: () => void }) {
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
