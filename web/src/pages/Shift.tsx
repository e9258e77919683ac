import { useState, type FormEvent } from 'react';
import { ApiError, api, run, type Session } from '../api/client';
import { useIdempotentSend } from '../components';
import { dateTime, money, pos, zoneLabel } from '../format';
import { centsToNumber, numberToCents, parseInputCents } from '../money';
import { navigate } from '../router';
import { Badge, Card, ErrorBox, Field, Updated, useConfirm, useConnection, useLoad } from '../ui';
import { CloseDialog, differenceLabel } from './CloseDialog';
import { InyeccionForm, MovimientoForm, RecargaForm } from './ShiftForms';
import { especialidadLabel, MovementsTable, OperatorCards } from './ShiftTables';

export { OPERADORAS, type Operadora } from '../components';
export { InyeccionForm } from './ShiftForms';
export { MovementsTable, OperatorCards } from './ShiftTables';

/** The caller's open cash session; `null` when there is none. */
export function useActiveSession() {
  return useLoad(async () => {
    try {
      return await run(() => api.GET('/cajas/sesion-activa'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }, [], undefined, ['caja']);
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
    if (!caja) return setError(new ApiError(0, 'Elija una caja.', ['id_caja']));
    const cents = monto.trim() === '' ? null : parseInputCents(monto);
    if (monto.trim() !== '' && cents === null) return setError(new ApiError(0, 'El monto inicial lleva hasta dos decimales.', ['monto_inicial']));
    const inicial = cents ?? numberToCents(caja.saldo);
    const ok = await confirm({
      title: 'Abrir caja',
      body: (
        <>
          <p className="confirm-amount">{money(inicial)}</p>
          <p>
            Abrir <strong>{caja.nombre}</strong> con este efectivo inicial
            {inicial !== numberToCents(caja.saldo) && <> (el saldo registrado es {pos(caja.saldo)}; la diferencia se registra como ajuste)</>}.
          </p>
        </>
      ),
      confirmLabel: 'Abrir caja',
    });
    if (!ok) return;
    const body = { id_caja: caja.id, ...(cents !== null ? { monto_inicial: centsToNumber(cents) } : {}) };
    await send(body, (key) => run(() => api.POST('/cajas/abrir', { body, headers: { 'Idempotency-Key': key } })), onOpened);
  };

  return (
    <>
      <h1>Mi caja</h1>
      <Card title="Abrir caja" className="narrow">
        <p className="muted">No tiene una caja abierta. Elija la caja y cuente el efectivo inicial.</p>
        <form onSubmit={submit} noValidate>
          <Field label="Caja" error={error?.forField('id_caja')}>
            {(id) => (
              <select id={id} value={cajaId} onChange={(e) => setCajaId(e.target.value)} required autoFocus>
                <option value="">— elegir —</option>
                {available.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.nombre} · {especialidadLabel(c.especialidad)} · saldo {pos(c.saldo)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Efectivo inicial contado" hint={caja ? `Vacío = saldo registrado (${pos(caja.saldo)})` : undefined} error={error?.forField('monto_inicial')}>
            {(id, d) => <input id={id} aria-describedby={d} inputMode="decimal" value={monto} onChange={(e) => setMonto(e.target.value)} placeholder="0,00" />}
          </Field>
          <ErrorBox error={error ?? cajas.error} />
          {cajas.data && available.length === 0 && <p className="muted">No hay cajas activas libres.</p>}
          <button type="submit" className="primary" disabled={busy}>
            Abrir caja
          </button>
        </form>
      </Card>
    </>
  );
}

/** A session: live cash, operator balances, the money forms (if the caller may act), movements. */
export function SessionView({ id, session }: { id: number; session: Session }) {
  const path = { params: { path: { id: String(id) } } };
  const sesion = useLoad(() => run(() => api.GET('/cajas/sesion/{id}', path)), [id], 10_000, ['caja', 'recargas']);
  const movs = useLoad(() => run(() => api.GET('/cajas/sesion/{id}/movimientos', path)), [id], 10_000, ['caja', 'recargas']);
  const saldos = useLoad(() => run(() => api.GET('/recargas/operadoras/saldos')), [], 10_000, ['recargas']);
  const cajaId = sesion.data?.id_caja;
  const caja = useLoad(() => (cajaId ? run(() => api.GET('/cajas/{id}', { params: { path: { id: String(cajaId) } } })) : Promise.resolve(undefined)), [cajaId], undefined, ['caja']);
  const { offline, lastAnswer } = useConnection();
  const [closing, setClosing] = useState(false);

  const s = sesion.data;
  if (!s) return sesion.error ? <ErrorBox error={sesion.error} /> : <p className="muted">Cargando…</p>;
  const role = session.user.role;
  const open = s.estado_sesion === 'ABIERTA';
  const canAct = open && (role === 'Administrador' || (role === 'Operador' && s.id_usuario === session.user.id));
  const refresh = () => {
    sesion.reload();
    movs.reload();
    saldos.reload();
  };
  const diff = s.diferencia === null ? null : numberToCents(s.diferencia);

  return (
    <>
      <div className="page-head">
        <h1>
          {caja.data?.nombre ?? `Caja ${s.id_caja}`} <span className="muted">· Sesión n.º {s.id}</span>
        </h1>
        <div className="page-actions">
          {open ? <Badge tone="ok">Abierta</Badge> : <Badge tone="muted">Cerrada</Badge>}
          <a className="button ghost" href={`#/caja/sesion/${s.id}/reporte`}>
            Reporte de la sesión
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
          <div className="kpi-label">{open ? 'Efectivo esperado en caja' : 'Efectivo esperado al cierre'}</div>
          <div className="kpi-value" data-testid="efectivo">
            {pos(s.monto_final_teorico)}
          </div>
        </div>
        <div className="kpi">
          <div className="kpi-label">Efectivo inicial</div>
          <div className="kpi-value">{pos(s.monto_inicial)}</div>
        </div>
        <div className="kpi">
          <div className="kpi-label">Ingresos</div>
          <div className="kpi-value pos">{pos(s.total_ingresos)}</div>
        </div>
        <div className="kpi">
          <div className="kpi-label">Egresos</div>
          <div className="kpi-value neg">{pos(s.total_egresos)}</div>
        </div>
        {!open && diff !== null && (
          <>
            <div className="kpi">
              <div className="kpi-label">Efectivo contado</div>
              <div className="kpi-value">{pos(s.monto_final_real)}</div>
            </div>
            <div className="kpi">
              <div className="kpi-label">{differenceLabel(diff)}</div>
              <div className={`kpi-value ${diff < 0n ? 'neg' : diff > 0n ? 'warn' : 'pos'}`}>{money(diff < 0n ? -diff : diff)}</div>
            </div>
          </>
        )}
      </div>
      <p className="muted small">
        Abierta {dateTime(s.fecha_apertura)}
        {s.fecha_cierre && <> · cerrada {dateTime(s.fecha_cierre)}</>} ({zoneLabel()}) · <Updated at={lastAnswer} offline={offline} />
      </p>

      <OperatorCards saldos={saldos.data} error={saldos.error} />

      {canAct && (
        <div className="grid2">
          <RecargaForm sesionId={s.id} saldos={saldos.data} onDone={refresh} />
          <div className="stack">
            <MovimientoForm sesionId={s.id} cash={s.monto_final_teorico} onDone={refresh} />
            {role === 'Administrador' && <InyeccionForm sesionId={s.id} cash={s.monto_final_teorico} onDone={refresh} />}
          </div>
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
