import { useState, type FormEvent } from 'react';
import { ApiError, api, run, type Schemas, type Session } from '../api/client';
import { dayEnd, dayStart, signedWallet, wallet as walletAmount } from '../format';
import { decimalToCents } from '../money';
import { DialogActions, SearchForm, useIdempotentSend } from '../components';
import { Badge, Card, ErrorBox, Field, Flash, fmtDate, Modal, Pager, useFlash, useLoad } from '../ui';
import { DEBIT_LABEL, DebitDialog, negativeLimitText } from './WalletDebit';

const TYPE_LABEL = { cash_topup: 'Recarga en efectivo', ...Object.fromEntries(DEBIT_LABEL) } as Record<Schemas['WalletMovement']['type'], string>;

/** A driver's wallet for the back office. */
export function DriverWallet({ driverId, session }: { driverId: string; session: Session }) {
  const driver = useLoad(() => run(() => api.GET('/drivers/{id}', { params: { path: { id: driverId } } })), [driverId]);
  const balance = useLoad(() => run(() => api.GET('/drivers-balance/{driverId}', { params: { path: { driverId } } })), [driverId], undefined, ['wallet']);
  if (balance.error) return <ErrorBox error={balance.error} />;
  if (!balance.data) return <p className="muted">Cargando…</p>;
  return <WalletView title={driver.data?.data.nombre ?? 'Billetera'} driver={driver.data?.data} wallet={balance.data.data} reload={balance.reload} session={session} />;
}

/** A Conductor's own wallet (GET /drivers-balance/me). */
export function MyWallet({ session }: { session: Session }) {
  const balance = useLoad(() => run(() => api.GET('/drivers-balance/me')), [], undefined, ['wallet']);
  if (balance.error) return <ErrorBox error={balance.error} />;
  if (!balance.data) return <p className="muted">Cargando…</p>;
  return <WalletView title="Mi billetera" wallet={balance.data.data} reload={balance.reload} session={session} />;
}

function WalletView({
  title,
  driver,
  wallet,
  reload,
  session,
}: {
  title: string;
  driver?: Schemas['Driver'] | undefined;
  wallet: Schemas['WalletBalance'];
  reload: () => void;
  session: Session;
}) {
  const isAdmin = session.user.role === 'Administrador';
  const [changing, setChanging] = useState<'block' | 'unblock' | null>(null);
  const [debiting, setDebiting] = useState(false);
  const [flash, setFlash] = useFlash();
  const [historyTick, setHistoryTick] = useState(0);
  const blocked = wallet.status === 'blocked';
  const negative = decimalToCents(wallet.currentWalletBalance) < 0n;
  const show = (s: string) => walletAmount(s, wallet.currency);

  return (
    <>
      <div className="page-head">
        <h1>
          {title} {driver?.telefono && <span className="muted">· {driver.telefono}</span>}
        </h1>
        <div className="page-actions">
          <span data-testid="wallet-status">{blocked ? <Badge tone="bad">Bloqueada</Badge> : <Badge tone="ok">Activa</Badge>}</span>
          {isAdmin && (
            <>
              <button type="button" className="ghost" onClick={() => setDebiting(true)}>
                Registrar débito
              </button>
              <button type="button" className={blocked ? 'primary' : 'danger'} onClick={() => setChanging(blocked ? 'unblock' : 'block')}>
                {blocked ? 'Desbloquear billetera' : 'Bloquear billetera'}
              </button>
            </>
          )}
        </div>
      </div>
      <Flash msg={flash} />
      <div className="kpis wallet-kpis">
        <div className="kpi main">
          <div className="kpi-label">Saldo</div>
          <div className={`kpi-value ${negative ? 'neg' : ''}`} data-testid="wallet-balance">
            {show(wallet.currentWalletBalance)}
          </div>
        </div>
        <div className="kpi">
          <div className="kpi-label">Recargas pendientes</div>
          <div className="kpi-value" data-testid="wallet-pending">
            {show(wallet.pendingTopupsAmount)}
          </div>
        </div>
        <div className="kpi">
          <div className="kpi-label">Límite negativo</div>
          <div className="kpi-value small-value">{negativeLimitText(wallet)}</div>
        </div>
        <div className="kpi">
          <div className="kpi-label">Actualizada</div>
          <div className="kpi-value small-value">{fmtDate(wallet.updatedAt)}</div>
        </div>
      </div>

      <Movements walletId={wallet.id} currency={wallet.currency} key={wallet.updatedAt} />
      {session.user.role !== 'Conductor' && <StatusHistory driverId={wallet.driverId} key={`h${historyTick}`} />}

      {changing && (
        <StatusDialog
          driverId={wallet.driverId}
          action={changing}
          name={title}
          onClose={() => setChanging(null)}
          onDone={(msg) => {
            setChanging(null);
            setFlash(msg);
            setHistoryTick((n) => n + 1);
            reload();
          }}
        />
      )}
      {debiting && (
        <DebitDialog
          wallet={wallet}
          name={title}
          onClose={() => setDebiting(false)}
          onDone={(msg) => {
            setDebiting(false);
            setFlash(msg);
            reload();
          }}
        />
      )}
    </>
  );
}

function Movements({ walletId, currency }: { walletId: string; currency: string }) {
  const [page, setPage] = useState(1);
  const [limit, setLimit] = useState(10);
  const [sortBy, setSortBy] = useState<'createdAt' | 'amount'>('createdAt');
  const [sortDir, setSortDir] = useState<'asc' | 'desc'>('desc');
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const movs = useLoad(
    () =>
      run(() =>
        api.GET('/drivers-balance/{walletId}/movements', {
          params: {
            path: { walletId },
            query: {
              page: String(page),
              limit: String(limit),
              sortBy,
              sortDir,
              ...(query ? { search: query } : {}),
              ...(from ? { from: dayStart(from) } : {}),
              ...(to ? { to: dayEnd(to) } : {}),
            },
          },
        }),
      ),
    [walletId, page, limit, sortBy, sortDir, query, from, to],
    undefined,
    ['wallet'],
  );
  const show = (s: string) => walletAmount(s, currency);
  const sortHeader = (key: 'createdAt' | 'amount', label: string) => {
    const active = sortBy === key;
    return (
      <button
        type="button"
        className="th-sort"
        aria-label={`Ordenar por ${label}`}
        onClick={() => {
          if (active) setSortDir(sortDir === 'asc' ? 'desc' : 'asc');
          else {
            setSortBy(key);
            setSortDir('desc');
          }
          setPage(1);
        }}
      >
        {label} {active ? (sortDir === 'asc' ? '▲' : '▼') : '↕'}
      </button>
    );
  };

  return (
    <Card
      title="Movimientos"
      actions={
        <SearchForm
          label="Buscar en notas"
          placeholder="Buscar en notas"
          value={search}
          onChange={setSearch}
          onSearch={() => {
            setQuery(search.trim());
            setPage(1);
          }}
        >
          <select aria-label="Movimientos por página" value={limit} onChange={(e) => (setLimit(Number(e.target.value)), setPage(1))}>
            {[10, 25, 50, 100].map((n) => (
              <option key={n} value={n}>
                {n} / pág.
              </option>
            ))}
          </select>
        </SearchForm>
      }
    >
      <div className="filters" role="group" aria-label="Fechas">
        <label>
          Desde
          <input type="date" value={from} max={to || undefined} onChange={(e) => (setFrom(e.target.value), setPage(1))} />
        </label>
        <label>
          Hasta
          <input type="date" value={to} min={from || undefined} onChange={(e) => (setTo(e.target.value), setPage(1))} />
        </label>
        {(from || to) && (
          <button type="button" className="ghost small" onClick={() => (setFrom(''), setTo(''), setPage(1))}>
            Todas las fechas
          </button>
        )}
      </div>
      <ErrorBox error={movs.error} />
      <div className="table-wrap">
        <table className="cards-on-phone">
          <thead>
            <tr>
              <th aria-sort={sortBy === 'createdAt' ? (sortDir === 'asc' ? 'ascending' : 'descending') : 'none'}>{sortHeader('createdAt', 'Fecha')}</th>
              <th>Tipo</th>
              <th>Nota</th>
              <th className="num" aria-sort={sortBy === 'amount' ? (sortDir === 'asc' ? 'ascending' : 'descending') : 'none'}>
                {sortHeader('amount', 'Monto')}
              </th>
              <th className="num">Saldo anterior</th>
              <th className="num">Saldo nuevo</th>
            </tr>
          </thead>
          <tbody>
            {(movs.data?.data ?? []).map((m) => {
              const credit = decimalToCents(m.amount) >= 0n;
              return (
                <tr key={m.id}>
                  <td data-label="Fecha">{fmtDate(m.createdAt)}</td>
                  <td data-label="Tipo" className="lead">
                    {TYPE_LABEL[m.type]}
                  </td>
                  <td data-label="Nota">{m.note ?? '—'}</td>
                  <td data-label="Monto" className={`num amount-cell ${credit ? 'pos' : 'neg'}`}>
                    {signedWallet(m.amount, currency)}
                  </td>
                  <td data-label="Saldo anterior" className="num">
                    {show(m.previousBalance)}
                  </td>
                  <td data-label="Saldo nuevo" className="num">
                    {show(m.newBalance)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {movs.data?.data.length === 0 && <p className="muted">{from || to || query ? 'Sin movimientos con estos filtros.' : 'Sin movimientos.'}</p>}
      </div>
      <div className="table-foot">
        <span className="muted small">{movs.data ? `${movs.data.meta.total} movimientos` : ''}</span>
        <Pager page={page} totalPages={movs.data?.meta.totalPages ?? 1} onPage={setPage} />
      </div>
    </Card>
  );
}

function StatusHistory({ driverId }: { driverId: string }) {
  const [page, setPage] = useState(1);
  const hist = useLoad(() => run(() => api.GET('/wallets-status/{driverId}/history', { params: { path: { driverId }, query: { page: String(page), limit: '10' } } })), [driverId, page], undefined, ['wallet']);
  return (
    <Card title="Historial de bloqueos">
      <ErrorBox error={hist.error} />
      {hist.data?.data.length === 0 ? (
        <p className="muted">La billetera nunca cambió de estado.</p>
      ) : (
        <div className="table-wrap">
          <table className="cards-on-phone">
            <thead>
              <tr>
                <th>Fecha</th>
                <th>Cambio</th>
                <th>Motivo</th>
                <th>Comentario</th>
                <th>Por</th>
              </tr>
            </thead>
            <tbody>
              {(hist.data?.data ?? []).map((h) => (
                <tr key={h.id}>
                  <td data-label="Fecha">{fmtDate(h.changedAt)}</td>
                  <td data-label="Cambio" className="lead">
                    {h.previousStatus === 'blocked' ? 'Bloqueada' : 'Activa'} → <strong>{h.status === 'blocked' ? 'Bloqueada' : 'Activa'}</strong>
                  </td>
                  <td data-label="Motivo">{h.reason ?? '—'}</td>
                  <td data-label="Comentario">{h.comment ?? '—'}</td>
                  <td data-label="Por">{h.changedByName}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} totalPages={hist.data?.meta.totalPages ?? 1} onPage={setPage} />
    </Card>
  );
}

function StatusDialog({
  driverId,
  action,
  name,
  onClose,
  onDone,
}: {
  driverId: string;
  action: 'block' | 'unblock';
  name: string;
  onClose: () => void;
  onDone: (msg: string) => void;
}) {
  const [reason, setReason] = useState('');
  const [comment, setComment] = useState('');
  const [error, setError] = useState<ApiError>();
  const { busy, send } = useIdempotentSend(setError);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = { ...(reason.trim() ? { reason: reason.trim() } : {}), ...(comment.trim() ? { comment: comment.trim() } : {}) };
    await send(
      { action, body },
      (key) =>
        action === 'block'
          ? run(() => api.POST('/wallets-status/{driverId}/block', { params: { path: { driverId } }, body, headers: { 'Idempotency-Key': key } }))
          : run(() => api.POST('/wallets-status/{driverId}/unblock', { params: { path: { driverId } }, body, headers: { 'Idempotency-Key': key } })),
      // Already in that state: the API says so (changed: false).
      (res) => onDone(res.data.changed ? (action === 'block' ? 'Billetera bloqueada' : 'Billetera desbloqueada') : res.message),
    );
  };
  return (
    <Modal open title={action === 'block' ? 'Bloquear billetera' : 'Desbloquear billetera'} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <p>
          {action === 'block'
            ? `Bloquear la billetera de ${name}: se rechazan los débitos; las recargas en efectivo se siguen aceptando.`
            : `Desbloquear la billetera de ${name}.`}
        </p>
        <Field label="Motivo" error={error?.forField('reason')}>
          {(id) => <input id={id} maxLength={250} value={reason} onChange={(e) => setReason(e.target.value)} autoFocus />}
        </Field>
        <Field label="Comentario" error={error?.forField('comment')}>
          {(id) => <input id={id} maxLength={500} value={comment} onChange={(e) => setComment(e.target.value)} />}
        </Field>
        <ErrorBox error={error} />
        <DialogActions onClose={onClose} submitLabel={action === 'block' ? 'Bloquear' : 'Desbloquear'} submitClass={action === 'block' ? 'danger' : 'primary'} busy={busy} />
      </form>
    </Modal>
  );
}
