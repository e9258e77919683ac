import { useState, type FormEvent } from 'react';
import { ApiError, api, run, type Session } from '../api/client';
import { useIdempotentSend } from '../components';
import { DriverPicker, useDriverFromHash } from '../DriverPicker';
import { money, wallet as walletAmount } from '../format';
import { centsToDecimal, parseInputCents } from '../money';
import { Card, ErrorBox, Field, useConfirm, useLoad } from '../ui';
import { ReceiptNote } from './CashReceipt';
import { TopupQueue } from './TopupQueue';

// Cash handed in by drivers: the collection-point cashier records it (it
// stays pending), the supervisor confirms or cancels it from the queue. Both
// steps offer the driver a printed receipt.

const LAST_POINT = 'consola.punto';

export function Topups({ session }: { session: Session }) {
  const role = session.user.role;
  const canRecord = role === 'Administrador' || role === 'Operador';
  const [queueTick, setQueueTick] = useState(0);
  return (
    <>
      <h1>Efectivo recibido de conductores</h1>
      {canRecord && <RecordTopup session={session} onRecorded={() => setQueueTick((n) => n + 1)} />}
      <TopupQueue key={queueTick} session={session} />
    </>
  );
}

function RecordTopup({ session, onRecorded }: { session: Session; onRecorded: () => void }) {
  const isAdmin = session.user.role === 'Administrador';
  const [driver, setDriver] = useDriverFromHash();
  const [pointId, setPointId] = useState(() => localStorage.getItem(LAST_POINT) ?? '');
  const [collectedBy, setCollectedBy] = useState(session.user.id);
  const [amount, setAmount] = useState('');
  const [notes, setNotes] = useState('');
  const [error, setError] = useState<ApiError>();
  const [done, setDone] = useState<{ text: string; ccrId: string } | null>(null);
  const { busy, send } = useIdempotentSend(setError);
  const confirm = useConfirm();

  // An Operador is offered only the points they may use (staffed by them, or by nobody).
  const points = useLoad(
    () =>
      run(() =>
        api.GET('/cash-collection-points', {
          params: { query: { page: '1', limit: '100', isActive: 'true', ...(isAdmin ? {} : { usableBy: session.user.id }) } },
        }),
      ),
    [isAdmin],
  );
  const usable = points.data?.data ?? [];
  const point = usable.find((p) => p.id === pointId) ?? (usable.length === 1 ? usable[0] : undefined);
  const staff = useLoad(() => (isAdmin ? run(() => api.GET('/usuario')) : Promise.resolve([])), [isAdmin]);
  const collectors = (staff.data ?? []).filter((u) => u.activo && (u.role === 'Administrador' || u.role === 'Operador') && u.id !== session.user.id);
  const balance = useLoad(
    () => (driver ? run(() => api.GET('/drivers-balance/{driverId}', { params: { path: { driverId: driver.id } } })) : Promise.resolve(undefined)),
    [driver?.id],
    undefined,
    ['wallet'],
  );
  const currency = balance.data?.data.currency;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    if (!driver) return setError(new ApiError(0, 'Elija el conductor.', ['driverId']));
    if (!point) return setError(new ApiError(0, 'Elija el punto de cobro.', ['collectionPointId']));
    const cents = parseInputCents(amount);
    if (cents === null || cents === 0n) return setError(new ApiError(0, 'Indique un monto mayor que cero, con hasta dos decimales.', ['amount']));
    const shown = money(cents, currency);
    const ok = await confirm({
      title: 'Registrar efectivo recibido',
      body: (
        <p>
          Recibir <strong className="amount">{shown}</strong> en efectivo de <strong>{driver.nombre}</strong> en {point.name}. Queda pendiente hasta que un
          administrador la confirme.
        </p>
      ),
      confirmLabel: `Registrar ${shown}`,
    });
    if (!ok) return;
    const body = {
      collectionPointId: point.id,
      collectedByUserId: collectedBy,
      amount: centsToDecimal(cents),
      ...(currency ? { currency } : {}),
      ...(notes.trim() ? { notes: notes.trim() } : {}),
    };
    await send(
      { driverId: driver.id, body },
      (key) => run(() => api.POST('/drivers-balance/{driverId}/topups', { params: { path: { driverId: driver.id } }, body, headers: { 'Idempotency-Key': key } })),
      (res) => {
        localStorage.setItem(LAST_POINT, point.id);
        setDone({ text: `${shown} de ${driver.nombre} registrados: pendiente de confirmación.`, ccrId: res.data.cashCollectionRecordId });
        setAmount('');
        setNotes('');
        setDriver(null);
        onRecorded();
      },
    );
  };

  const noPoints = points.data && usable.length === 0;
  return (
    <Card title="Registrar efectivo recibido">
      {noPoints ? (
        <p className="muted">{isAdmin ? 'No hay puntos de cobro activos. Cree uno en «Puntos de cobro».' : 'No atiende ningún punto de cobro activo. Pida a un administrador que lo asigne.'}</p>
      ) : (
        <form className="inline-form" onSubmit={submit} noValidate aria-label="Registrar efectivo recibido">
          <DriverPicker label="Conductor" value={driver} onChange={setDriver} error={error?.forField('driverId')} />
          <Field label="Punto de cobro" error={error?.forField('collectionPointId')}>
            {(id) => (
              <select id={id} value={point?.id ?? ''} onChange={(e) => setPointId(e.target.value)}>
                {!point && <option value="">— elegir —</option>}
                {usable.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {isAdmin && (
            <Field label="Cobrado por" error={error?.forField('collectedByUserId')}>
              {(id) => (
                <select id={id} value={collectedBy} onChange={(e) => setCollectedBy(e.target.value)}>
                  <option value={session.user.id}>{session.user.nombres} (yo)</option>
                  {collectors.map((u) => (
                    <option key={u.id} value={u.id}>
                      {u.nombres} · {u.role}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          <Field
            label={`Monto recibido${currency ? ` (${currency})` : ''}`}
            error={error?.forField('amount')}
            hint={balance.data ? `Saldo ${walletAmount(balance.data.data.currentWalletBalance, balance.data.data.currency)}${balance.data.data.status === 'blocked' ? ' · billetera bloqueada' : ''}` : undefined}
          >
            {(id, d) => <input id={id} aria-describedby={d} inputMode="decimal" autoComplete="off" value={amount} onChange={(e) => setAmount(e.target.value)} placeholder="0,00" />}
          </Field>
          <Field label="Notas" error={error?.forField('notes')}>
            {(id) => <input id={id} maxLength={250} value={notes} onChange={(e) => setNotes(e.target.value)} placeholder="p. ej. 3 billetes de 50" />}
          </Field>
          <button type="submit" className="primary" disabled={busy}>
            Registrar
          </button>
        </form>
      )}
      <ErrorBox error={error ?? points.error ?? balance.error} />
      {done && <ReceiptNote text={done.text} ccrId={done.ccrId} />}
    </Card>
  );
}
