import { useState, type FormEvent } from 'react';
import { ApiError, api, run, type Schemas, type Session } from '../api/client';
import { DialogActions, useIdempotentSend } from '../components';
import { DriverPicker } from '../DriverPicker';
import { dayEnd, dayStart, money, wallet as walletAmount } from '../format';
import { decimalToCents } from '../money';
import { Badge, Card, ErrorBox, Field, fmtDate, Modal, Pager, useFlash, useLoad } from '../ui';
import { receiptHref, ReceiptNote } from './CashReceipt';

// The supervisor's queue of cash top-ups: oldest pending first, filtered by
// point, cashier, driver, status and business days; what is waiting per
// point; the cashier's note and the supervisor's comment side by side.

type TopupRow = Schemas['CashTopupListItem'];
type Status = TopupRow['status'];
const STATUS_LABEL: { [s in Status]: string } = { pending: 'Pendiente', completed: 'Confirmada', cancelled: 'Cancelada' };
const STATUS_TONE: { [s in Status]: 'warn' | 'ok' | 'muted' } = { pending: 'warn', completed: 'ok', cancelled: 'muted' };
const TABS: Array<[Status | '', string]> = [
  ['pending', 'Pendientes'],
  ['completed', 'Confirmadas'],
  ['cancelled', 'Canceladas'],
  ['', 'Todas'],
];

interface Filters {
  status: Status | '';
  pointId: string;
  collector: { id: string; name: string } | null;
  driver: Schemas['Driver'] | null;
  from: string;
  to: string;
}

/** "CUP 170,50 · USD 3,75": sums kept apart per currency. */
function totalsByCurrency(points: Array<{ currency: string; totalAmount: string }>): string {
  const sums = new Map<string, bigint>();
  for (const p of points) sums.set(p.currency, (sums.get(p.currency) ?? 0n) + decimalToCents(p.totalAmount));
  return [...sums].map(([currency, cents]) => money(cents, currency)).join(' · ') || '0';
}

/** "Administrador: Billetes verificados · 03/12/2026 06:18": who settled it, what they said, when. */
function resolution(r: TopupRow): string {
  const said = r.status === 'completed' ? r.confirmComment : r.cancelReason;
  return `${r.resolvedByName ?? ''}${said ? `: ${said}` : ''} · ${fmtDate(r.status === 'completed' ? r.confirmedAt : r.cancelledAt)}`;
}

export function TopupQueue({ session }: { session: Session }) {
  const canResolve = session.user.role === 'Administrador';
  const [f, setF] = useState<Filters>({ status: 'pending', pointId: '', collector: null, driver: null, from: '', to: '' });
  const [page, setPage] = useState(1);
  const set = (patch: Partial<Filters>) => {
    setF({ ...f, ...patch });
    setPage(1);
  };
  const points = useLoad(() => run(() => api.GET('/cash-collection-points', { params: { query: { page: '1', limit: '100' } } })), []);
  const staff = useLoad(() => (canResolve ? run(() => api.GET('/usuario')) : Promise.resolve([])), [canResolve]);
  const cashiers = (staff.data ?? []).filter((u) => u.role === 'Administrador' || u.role === 'Operador');
  const list = useLoad(
    () =>
      run(() =>
        api.GET('/drivers-balance/topups', {
          params: {
            query: {
              page: String(page),
              limit: '20',
              sortBy: 'createdAt',
              sortDir: f.status === 'pending' ? 'asc' : 'desc',
              ...(f.status ? { status: f.status } : {}),
              ...(f.pointId ? { collectionPointId: f.pointId } : {}),
              ...(f.collector ? { collectedByUserId: f.collector.id } : {}),
              ...(f.driver ? { driverId: f.driver.id } : {}),
              ...(f.from ? { from: dayStart(f.from) } : {}),
              ...(f.to ? { to: dayEnd(f.to) } : {}),
            },
          },
        }),
      ),
    [f, page],
    15_000,
    ['wallet'],
  );
  const [acting, setActing] = useState<{ record: TopupRow; action: 'confirm' | 'cancel' } | null>(null);
  const [done, setDone] = useState<{ text: string; ccrId: string } | null>(null);
  const [note, setNote] = useFlash();
  const meta = list.data?.meta;
  const rows = list.data?.data ?? [];
  const filtered = Boolean(f.pointId || f.collector || f.driver || f.from || f.to);

  return (
    <Card
      title={f.status === 'pending' ? 'Pendientes de confirmación' : 'Efectivo recibido'}
      actions={
        <span role="tablist" className="tabs" aria-label="Estado">
          {TABS.map(([s, label]) => (
            <button key={s || 'all'} type="button" role="tab" aria-selected={f.status === s} className={f.status === s ? 'tab active' : 'tab'} onClick={() => set({ status: s })}>
              {label}
            </button>
          ))}
        </span>
      }
    >
      <form className="filters" aria-label="Filtros" onSubmit={(e) => e.preventDefault()}>
        <label>
          Punto
          <select value={f.pointId} onChange={(e) => set({ pointId: e.target.value })}>
            <option value="">Todos</option>
            {(points.data?.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        {canResolve ? (
          <label>
            Cobrado por
            <select
              value={f.collector?.id ?? ''}
              onChange={(e) => {
                const u = cashiers.find((c) => c.id === e.target.value);
                set({ collector: u ? { id: u.id, name: u.nombres } : null });
              }}
            >
              <option value="">Todos</option>
              {cashiers.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.nombres}
                </option>
              ))}
            </select>
          </label>
        ) : (
          f.collector && (
            <span className="chip">
              Cobrado por {f.collector.name}{' '}
              <button type="button" className="ghost small" aria-label="Quitar filtro de cajero" onClick={() => set({ collector: null })}>
                ✕
              </button>
            </span>
          )
        )}
        <DriverPicker label="Conductor" value={f.driver} onChange={(driver) => set({ driver })} />
        <label>
          Desde
          <input type="date" value={f.from} max={f.to || undefined} onChange={(e) => set({ from: e.target.value })} />
        </label>
        <label>
          Hasta
          <input type="date" value={f.to} min={f.from || undefined} onChange={(e) => set({ to: e.target.value })} />
        </label>
        {filtered && (
          <button type="button" className="ghost small" onClick={() => set({ pointId: '', collector: null, driver: null, from: '', to: '' })}>
            Quitar filtros
          </button>
        )}
      </form>

      {meta && meta.byCollectionPoint.length > 0 && (
        <div className="point-totals" aria-label={f.status === 'pending' ? 'Pendiente por punto' : 'Total por punto'} role="list">
          {meta.byCollectionPoint.map((p) => (
            <button
              key={`${p.collectionPointId}-${p.currency}`}
              type="button"
              role="listitem"
              className={`point-total${f.pointId === p.collectionPointId ? ' active' : ''}`}
              onClick={() => set({ pointId: f.pointId === p.collectionPointId ? '' : p.collectionPointId })}
              data-testid={`point-total-${p.collectionPointName}`}
            >
              <span className="point-total-name">{p.collectionPointName}</span>
              <span className="point-total-amount">{walletAmount(p.totalAmount, p.currency)}</span>
              <span className="muted small">
                {p.count} {p.count === 1 ? 'recarga' : 'recargas'}
              </span>
            </button>
          ))}
        </div>
      )}

      <ErrorBox error={list.error} />
      {done && <ReceiptNote text={done.text} ccrId={done.ccrId} />}
      {note && (
        <div className="flash" role="status">
          {note}
        </div>
      )}
      <div className="table-wrap">
        <table className="cards-on-phone">
          <thead>
            <tr>
              <th>Registrada</th>
              <th>Conductor</th>
              <th className="num">Monto</th>
              <th>Punto · cobrado por</th>
              <th>Estado</th>
              <th>Nota del cajero</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.cashCollectionRecordId} data-testid={`topup-${r.cashCollectionRecordId}`}>
                <td data-label="Registrada">{fmtDate(r.createdAt)}</td>
                <td data-label="Conductor" className="lead">
                  <a href={`#/wallets/conductor/${r.driverId}`}>{r.driverName}</a>
                </td>
                <td data-label="Monto" className="num amount-cell">
                  {walletAmount(r.amount, r.currency)}
                </td>
                <td data-label="Punto">
                  {r.collectionPointName}
                  <div className="small">
                    <button type="button" className="link" title="Ver solo lo que cobró" onClick={() => set({ collector: { id: r.collectedByUserId, name: r.collectedByName } })}>
                      {r.collectedByName}
                    </button>
                  </div>
                </td>
                <td data-label="Estado">
                  <Badge tone={STATUS_TONE[r.status]}>{STATUS_LABEL[r.status]}</Badge>
                  {r.status !== 'pending' && <div className="small muted">{resolution(r)}</div>}
                </td>
                <td data-label="Nota del cajero" className={r.notes ? 'small' : 'small blank'}>
                  {r.notes ?? '—'}
                </td>
                <td className="row-actions">
                  {canResolve && r.status === 'pending' && (
                    <>
                      <button type="button" className="primary small" onClick={() => setActing({ record: r, action: 'confirm' })}>
                        Confirmar
                      </button>
                      <button type="button" className="ghost small danger-text" onClick={() => setActing({ record: r, action: 'cancel' })}>
                        Cancelar
                      </button>
                    </>
                  )}
                  {r.status !== 'cancelled' && (
                    <a className="button ghost small" href={receiptHref(r.cashCollectionRecordId)}>
                      Recibo
                    </a>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && list.data && <p className="muted">{filtered ? 'Nada con estos filtros.' : 'Nada por aquí.'}</p>}
      </div>
      <div className="table-foot">
        <span className="muted small" data-testid="queue-total">
          {meta ? `${meta.total} ${meta.total === 1 ? 'recarga' : 'recargas'} · ${totalsByCurrency(meta.byCollectionPoint)}` : ''}
        </span>
        <Pager page={page} totalPages={meta?.totalPages ?? 1} onPage={setPage} />
      </div>
      {acting && (
        <ResolveDialog
          record={acting.record}
          action={acting.action}
          onClose={() => setActing(null)}
          onDone={(text) => {
            const ccrId = acting.record.cashCollectionRecordId;
            setActing(null);
            if (acting.action === 'confirm') setDone({ text, ccrId });
            else {
              setDone(null);
              setNote(text);
            }
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
  onClose,
  onDone,
}: {
  record: TopupRow;
  action: 'confirm' | 'cancel';
  onClose: () => void;
  onDone: (text: string) => void;
}) {
  const [text, setText] = useState('');
  const [error, setError] = useState<ApiError>();
  const { busy, send } = useIdempotentSend(setError);
  const shown = walletAmount(record.amount, record.currency);
  const ccrId = record.cashCollectionRecordId;
  const driver = record.driverName;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (action === 'confirm') {
      const body = text.trim() ? { comment: text.trim() } : {};
      await send(
        { ccrId, body },
        (key) => run(() => api.POST('/drivers-balance/topups/{ccrId}/confirm', { params: { path: { ccrId } }, body, headers: { 'Idempotency-Key': key } })),
        (res) =>
          onDone(
            `Confirmada: ${shown} acreditados a ${driver}. Saldo ${walletAmount(res.data.previousBalance, record.currency)} → ${walletAmount(res.data.newBalance, record.currency)}.`,
          ),
      );
    } else {
      const body = { reason: text.trim() };
      await send(
        { ccrId, body },
        (key) => run(() => api.POST('/drivers-balance/topups/{ccrId}/cancel', { params: { path: { ccrId } }, body, headers: { 'Idempotency-Key': key } })),
        () => onDone(`Cancelada la recarga de ${shown} de ${driver}: no se acreditó nada.`),
      );
    }
  };

  return (
    <Modal open title={action === 'confirm' ? 'Confirmar recarga' : 'Cancelar recarga'} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        {action === 'confirm' ? (
          <p>
            Acreditar <strong className="amount">{shown}</strong> a la billetera de <strong>{driver}</strong>. Es irreversible.
          </p>
        ) : (
          <p>
            Cancelar la recarga de <strong className="amount">{shown}</strong> de <strong>{driver}</strong>. No se acredita nada.
          </p>
        )}
        <p className="small muted">
          Cobrado por {record.collectedByName} en {record.collectionPointName}
          {record.notes ? `. Nota del cajero: «${record.notes}»` : ''}.
        </p>
        <Field label={action === 'confirm' ? 'Comentario (opcional)' : 'Motivo de la cancelación'} error={error?.forField(action === 'confirm' ? 'comment' : 'reason')}>
          {(id) => <input id={id} maxLength={action === 'confirm' ? 500 : 250} value={text} onChange={(e) => setText(e.target.value)} autoFocus />}
        </Field>
        <ErrorBox error={error} />
        <DialogActions onClose={onClose} submitLabel={action === 'confirm' ? `Confirmar ${shown}` : 'Cancelar recarga'} submitClass={action === 'confirm' ? 'primary' : 'danger'} busy={busy} />
      </form>
    </Modal>
  );
}
