import { useState, type FormEvent } from 'react';
import { ApiError, api, run, type Schemas, type Session } from '../api/client';
import { centsToDecimal, fmtWallet, formatCents, parseInputCents } from '../money';
import { DialogActions, useIdempotentSend } from '../components';
import { Badge, Card, ErrorBox, Field, Flash, fmtDate, Modal, Pager, useConfirm, useFlash, useLoad } from '../ui';

type Status = Schemas['CashTopup']['status'];
const STATUS_LABEL: Record<Status, string> = { pending: 'Pendiente', completed: 'Confirmada', cancelled: 'Cancelada' };
const STATUS_TONE: Record<Status, 'warn' | 'ok' | 'muted'> = { pending: 'warn', completed: 'ok', cancelled: 'muted' };

/** Cash top-ups: record one at a collection point; the queue to confirm or cancel. */
export function Topups({ session }: { session: Session }) {
  const role = session.user.role;
  const canRecord = role === 'Administrador' || role === 'Operador';
  // Names for the queue (first 100 of each; unknown ids are shown short).
  const drivers = useLoad(() => run(() => api.GET('/drivers', { params: { query: { page: '1', limit: '100' } } })), []);
  const points = useLoad(() => run(() => api.GET('/cash-collection-points', { params: { query: { page: '1', limit: '100' } } })), []);
  const [queueTick, setQueueTick] = useState(0);

  return (
    <>
      <h1>Recargas en efectivo</h1>
      {canRecord && (
        <RecordTopup session={session} drivers={drivers.data?.data ?? []} points={points.data?.data ?? []} onRecorded={() => setQueueTick((n) => n + 1)} />
      )}
      <Queue
        key={queueTick}
        canResolve={role === 'Administrador'}
        driverName={(id) => drivers.data?.data.find((d) => d.id === id)?.nombre ?? id.slice(0, 8)}
        pointName={(id) => points.data?.data.find((p) => p.id === id)?.name ?? id.slice(0, 8)}
      />
    </>
  );
}

function RecordTopup({
  session,
  drivers,
  points,
  onRecorded,
}: {
  session: Session;
  drivers: Schemas['Driver'][];
  points: Schemas['CashCollectionPoint'][];
  onRecorded: () => void;
}) {
  const isAdmin = session.user.role === 'Administrador';
  const preselected = /[?&]driver=([0-9a-f-]{36})/.exec(location.hash)?.[1] ?? '';
  const [driverId, setDriverId] = useState(preselected);
  const [pointId, setPointId] = useState('');
  const [collectedBy, setCollectedBy] = useState(session.user.id);
  const [amount, setAmount] = useState('');
  const [notes, setNotes] = useState('');
  const [error, setError] = useState<ApiError>();
  const { busy, send } = useIdempotentSend(setError);
  const [flash, setFlash] = useFlash();
  const confirm = useConfirm();
  // Staff who may collect cash: an Administrador may name any active Administrador/Operador.
  const staff = useLoad(() => (isAdmin ? run(() => api.GET('/usuario')) : Promise.resolve([])), [isAdmin]);
  const collectors = (staff.data ?? []).filter((u) => u.activo && (u.role === 'Administrador' || u.role === 'Operador'));
  const wallet = useLoad(
    () => (driverId ? run(() => api.GET('/drivers-balance/{driverId}', { params: { path: { driverId } } })) : Promise.resolve(undefined)),
    [driverId],
  );
  const currency = wallet.data?.data.currency;
  const activePoints = points.filter((p) => p.isActive);
  const driver = drivers.find((d) => d.id === driverId);
  const point = activePoints.find((p) => p.id === pointId);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    if (!driver) return setError(new ApiError(0, 'Elija el conductor'));
    if (!point) return setError(new ApiError(0, 'Elija el punto de cobro'));
    const cents = parseInputCents(amount);
    if (cents === null || cents === 0n) return setError(new ApiError(0, 'Indique un monto mayor que cero, con hasta dos decimales.', ['amount']));
    const ok = await confirm({
      title: 'Registrar recarga en efectivo',
      body: (
        <p>
          Recibir <strong className="amount">{formatCents(cents)} {currency}</strong> en efectivo de <strong>{driver.nombre}</strong> en {point.name}. Queda
          pendiente hasta que un administrador la confirme.
        </p>
      ),
      confirmLabel: `Registrar ${formatCents(cents)}`,
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
      { driverId, body },
      (key) => run(() => api.POST('/drivers-balance/{driverId}/topups', { params: { path: { driverId: driver.id } }, body, headers: { 'Idempotency-Key': key } })),
      () => {
        setFlash(`Recarga de ${formatCents(cents)} ${currency ?? ''} registrada para ${driver.nombre}: pendiente de confirmación`);
        setAmount('');
        setNotes('');
        onRecorded();
        wallet.reload();
      },
    );
  };

  return (
    <Card title="Registrar recarga en efectivo">
      <form className="inline-form" onSubmit={submit} noValidate aria-label="Registrar recarga en efectivo">
        <Field label="Conductor" hint={wallet.data ? `Saldo ${fmtWallet(wallet.data.data.currentWalletBalance)} ${currency} · ${wallet.data.data.status === 'blocked' ? 'bloqueada' : 'activa'}` : undefined}>
          {(id, d) => (
            <select id={id} aria-describedby={d} value={driverId} onChange={(e) => setDriverId(e.target.value)}>
              <option value="">— elegir —</option>
              {drivers.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.nombre}
                  {x.telefono ? ` · ${x.telefono}` : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Punto de cobro" error={error?.forField('collectionPointId')}>
          {(id) => (
            <select id={id} value={pointId} onChange={(e) => setPointId(e.target.value)}>
              <option value="">— elegir —</option>
              {activePoints.map((p) => (
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
                {collectors
                  .filter((u) => u.id !== session.user.id)
                  .map((u) => (
                    <option key={u.id} value={u.id}>
                      {u.nombres} · {u.role}
                    </option>
                  ))}
              </select>
            )}
          </Field>
        )}
        <Field label={`Monto recibido${currency ? ` (${currency})` : ''}`} error={error?.forField('amount')}>
          {(id) => <input id={id} inputMode="decimal" autoComplete="off" value={amount} onChange={(e) => setAmount(e.target.value)} placeholder="0.00" />}
        </Field>
        <Field label="Notas" error={error?.forField('notes')}>
          {(id) => <input id={id} maxLength={250} value={notes} onChange={(e) => setNotes(e.target.value)} />}
        </Field>
        <button type="submit" className="primary" disabled={busy}>
          Registrar recarga
        </button>
      </form>
      <ErrorBox error={error ?? wallet.error} />
      <Flash msg={flash} />
    </Card>
  );
}

function Queue({ canResolve, driverName, pointName }: { canResolve: boolean; driverName: (id: string) => string; pointName: (id: string) => string }) {
  const [status, setStatus] = useState<Status | ''>('pending');
  const [page, setPage] = useState(1);
  const list = useLoad(
    () =>
      run(() =>
        api.GET('/drivers-balance/topups', {
          params: { query: { page: String(page), limit: '20', sortBy: 'createdAt', sortDir: status === 'pending' ? 'asc' : 'desc', ...(status ? { status } : {}) } },
        }),
      ),
    [status, page],
    15_000,
  );
  const [acting, setActing] = useState<{ record: Schemas['CashTopup']; action: 'confirm' | 'cancel' } | null>(null);
  const [flash, setFlash] = useFlash();

  return (
    <Card
      title={status === 'pending' ? 'Recargas pendientes de confirmación' : 'Recargas en efectivo'}
      actions={
        <span role="tablist" className="tabs">
          {(['pending', 'completed', 'cancelled', ''] as const).map((s) => (
            <button
              key={s || 'all'}
              type="button"
              role="tab"
              aria-selected={status === s}
              className={status === s ? 'tab active' : 'tab'}
              onClick={() => (setStatus(s), setPage(1))}
            >
              {s ? STATUS_LABEL[s] + 's' : 'Todas'}
            </button>
          ))}
        </span>
      }
    >
      <ErrorBox error={list.error} />
      <Flash msg={flash} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Registrada</th>
              <th>Conductor</th>
              <th>Punto</th>
              <th className="num">Monto</th>
              <th>Estado</th>
              <th>Notas</th>
              {canResolve && <th />}
            </tr>
          </thead>
          <tbody>
            {(list.data?.data ?? []).map((r) => (
              <tr key={r.cashCollectionRecordId} data-testid={`topup-${r.cashCollectionRecordId}`}>
                <td>{fmtDate(r.createdAt)}</td>
                <td>
                  <a href={`#/wallets/conductor/${r.driverId}`}>{driverName(r.driverId)}</a>
                </td>
                <td>{pointName(r.collectionPointId)}</td>
                <td className="num">
                  {fmtWallet(r.amount)} {r.currency}
                </td>
                <td>
                  <Badge tone={STATUS_TONE[r.status]}>{STATUS_LABEL[r.status]}</Badge>
                </td>
                <td className="small">{r.status === 'cancelled' ? `Motivo: ${r.reason ?? '—'}` : (r.comment ?? r.notes ?? '—')}</td>
                {canResolve && (
                  <td className="row-actions">
                    {r.status === 'pending' && (
                      <>
                        <button type="button" className="primary small" onClick={() => setActing({ record: r, action: 'confirm' })}>
                          Confirmar
                        </button>
                        <button type="button" className="ghost small danger-text" onClick={() => setActing({ record: r, action: 'cancel' })}>
                          Cancelar
                        </button>
                      </>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
        {list.data?.data.length === 0 && <p className="muted">Nada por aquí.</p>}
      </div>
      <Pager page={page} totalPages={list.data?.meta.totalPages ?? 1} onPage={setPage} />
      {acting && (
        <ResolveDialog
          record={acting.record}
          action={acting.action}
          driver={driverName(acting.record.driverId)}
          onClose={() => setActing(null)}
          onDone={(msg) => {
            setActing(null);
            setFlash(msg);
            list.reload();
          }}
        />
      )}
    </Card>
  );
}

/** Confirm (irreversible credit, optional comment) or cancel (reason) one pending top-up. */
function ResolveDialog({
  record,
  action,
  driver,
  onClose,
  onDone,
}: {
  record: Schemas['CashTopup'];
  action: 'confirm' | 'cancel';
  driver: string;
  onClose: () => void;
  onDone: (msg: string) => void;
}) {
  const [text, setText] = useState('');
  const [error, setError] = useState<ApiError>();
  const { busy, send } = useIdempotentSend(setError);
  const amount = `${fmtWallet(record.amount)} ${record.currency}`;
  const ccrId = record.cashCollectionRecordId;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (action === 'confirm') {
      const body = text.trim() ? { comment: text.trim() } : {};
      await send(
        { ccrId, body },
        (key) => run(() => api.POST('/drivers-balance/topups/{ccrId}/confirm', { params: { path: { ccrId } }, body, headers: { 'Idempotency-Key': key } })),
        (res) => onDone(`Confirmada: ${amount} acreditados a ${driver}. Saldo ${fmtWallet(res.data.previousBalance)} → ${fmtWallet(res.data.newBalance)}`),
      );
    } else {
      const body = { reason: text.trim() };
      await send(
        { ccrId, body },
        (key) => run(() => api.POST('/drivers-balance/topups/{ccrId}/cancel', { params: { path: { ccrId } }, body, headers: { 'Idempotency-Key': key } })),
        () => onDone(`Cancelada la recarga de ${amount} de ${driver}`),
      );
    }
  };

  return (
    <Modal open title={action === 'confirm' ? 'Confirmar recarga' : 'Cancelar recarga'} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        {action === 'confirm' ? (
          <p>
            Acreditar <strong className="amount">{amount}</strong> a la billetera de <strong>{driver}</strong>. Es irreversible.
          </p>
        ) : (
          <p>
            Cancelar la recarga de <strong className="amount">{amount}</strong> de <strong>{driver}</strong>. No se acredita nada.
          </p>
        )}
        <Field label={action === 'confirm' ? 'Comentario (opcional)' : 'Motivo de la cancelación'} error={error?.forField(action === 'confirm' ? 'comment' : 'reason')}>
          {(id) => <input id={id} maxLength={action === 'confirm' ? 500 : 250} value={text} onChange={(e) => setText(e.target.value)} autoFocus />}
        </Field>
        <ErrorBox error={error} />
        <DialogActions onClose={onClose} submitLabel={action === 'confirm' ? `Confirmar ${amount}` : 'Cancelar recarga'} submitClass={action === 'confirm' ? 'primary' : 'danger'} busy={busy} />
      </form>
    </Modal>
  );
}
