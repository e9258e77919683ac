import { createContext, useCallback, useContext, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError, connection, newIdempotencyKey, onConnection } from './api/client';
import { time } from './format';
import { isLive, onLiveChange, onLiveState, type Entity } from './live';

// ---- data loading

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

/** Polling while the socket is up, in case a message was lost; while it is down, `intervalMs` (15 s by default). */
const LIVE_FALLBACK_MS = 60_000;
const OFFLINE_POLL_MS = 15_000;

/**
 * Loads on mount and whenever deps change; `reload()` loads again;
 * `intervalMs` polls. With `live`, it also loads again when the server says
 * one of those entities changed (live.ts), and polls only slowly meanwhile.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], intervalMs?: number, live?: Entity[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const socketUp = useLive();
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState((s) => ({ data: s.data, error: asApiError(error), loading: false })),
    );
    return () => {
      current = false;
    };
    // deps are the caller's (like useEffect's); the latest `load` is always used.
  }, [...deps, tick]);
  const every = live ? (socketUp ? LIVE_FALLBACK_MS : (intervalMs ?? OFFLINE_POLL_MS)) : intervalMs;
  useEffect(() => {
    if (!every) return;
    const t = setInterval(() => setTick((n) => n + 1), every);
    return () => clearInterval(t);
  }, [every]);
  const entities = live?.join(',');
  useEffect(() => {
    if (!entities) return;
    // Changes come in bursts (a sale moves the caja and the float): one load for a burst.
    let t: ReturnType<typeof setTimeout> | undefined;
    const off = onLiveChange(entities.split(',') as Entity[], () => {
      clearTimeout(t);
      t = setTimeout(() => setTick((n) => n + 1), 150);
    });
    return () => {
      clearTimeout(t);
      off();
    };
  }, [entities]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Whether live updates are on (the socket is connected). */
export function useLive() {
  const [up, setUp] = useState(isLive);
  useEffect(() => {
    const off = onLiveState(() => setUp(isLive()));
    // It may have connected between the first render and this subscription.
    setUp(isLive());
    return off;
  }, []);
  return up;
}

export function asApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, err instanceof Error ? err.message : String(err));
}

// ---- money submissions: one Idempotency-Key per submission

/**
 * The key for a money POST. It is made when a submission starts and kept until
 * the server gives a definitive answer, so a double click, a token refresh or
 * a retry after a lost connection repeats the same key (and the server
 * answers the first result instead of charging twice). A new body or a
 * definitive answer (2xx, 4xx) starts a new key.
 */
export function useIdempotency() {
  const pending = useRef<{ body: string; key: string } | null>(null);
  return {
    keyFor(body: unknown): string {
      const text = JSON.stringify(body);
      if (!pending.current || pending.current.body !== text) pending.current = { body: text, key: newIdempotencyKey() };
      return pending.current.key;
    },
    settle(err?: unknown) {
      // Keep the key only when the outcome is unknown (no answer, or a 5xx).
      if (!(err instanceof ApiError && err.unknownOutcome)) pending.current = null;
    },
  };
}

// ---- pieces

export function ErrorBox({ error, title }: { error: ApiError | string | undefined | null; title?: string }) {
  if (!error) return null;
  const message = typeof error === 'string' ? error : error.message;
  return (
    <div className="error" role="alert">
      {title && <strong>{title}: </strong>}
      <span>{message}</span>
    </div>
  );
}

export function Field({
  label,
  error,
  hint,
  children,
}: {
  label: string;
  error?: string | undefined;
  hint?: string;
  children: (id: string, describedBy: string | undefined) => ReactNode;
}) {
  const id = useId();
  const describedBy = error ? `${id}-err` : hint ? `${id}-hint` : undefined;
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children(id, describedBy)}
      {error ? (
        <div className="field-error" id={`${id}-err`}>
          {error}
        </div>
      ) : hint ? (
        <div className="hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
    </div>
  );
}

export function Card({ title, actions, children, className }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={`card ${className ?? ''}`}>
      {(title || actions) && (
        <header className="card-head">
          {title && <h2>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

export function Badge({ tone, children }: { tone: 'ok' | 'warn' | 'bad' | 'info' | 'muted'; children: ReactNode }) {
  return <span className={`badge ${tone}`}>{children}</span>;
}

export { dateTime as fmtDate } from './format';

export function Pager({ page, totalPages, onPage }: { page: number; totalPages: number; onPage: (p: number) => void }) {
  if (totalPages <= 1) return null;
  return (
    <nav className="pager" aria-label="Paginación">
      <button type="button" className="ghost" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        ← Anterior
      </button>
      <span>
        Página {page} de {totalPages}
      </span>
      <button type="button" className="ghost" disabled={page >= totalPages} onClick={() => onPage(page + 1)}>
        Siguiente →
      </button>
    </nav>
  );
}

// ---- modal dialogs (native <dialog>: focus trap, Escape closes)

export function Modal({ open, title, onClose, children }: { open: boolean; title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      // showModal focuses the first focusable element ("Cancelar"); the
      // dialog says which one Enter should press instead.
      d.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className="modal" aria-label={title} onCancel={(e) => (e.preventDefault(), onClose())}>
      {open && (
        <>
          <h2>{title}</h2>
          {children}
        </>
      )}
    </dialog>
  );
}

interface ConfirmRequest {
  title: string;
  body: ReactNode;
  confirmLabel?: string;
  danger?: boolean;
  resolve: (ok: boolean) => void;
}
const ConfirmContext = createContext<(req: Omit<ConfirmRequest, 'resolve'>) => Promise<boolean>>(async () => false);

/** `const confirm = useConfirm(); if (await confirm({title, body})) …` */
export const useConfirm = () => useContext(ConfirmContext);

export function ConfirmProvider({ children }: { children: ReactNode }) {
  const [req, setReq] = useState<ConfirmRequest | null>(null);
  const ask = useCallback((r: Omit<ConfirmRequest, 'resolve'>) => new Promise<boolean>((resolve) => setReq({ ...r, resolve })), []);
  const answer = (ok: boolean) => {
    req?.resolve(ok);
    setReq(null);
  };
  return (
    <ConfirmContext.Provider value={ask}>
      {children}
      <Modal open={req !== null} title={req?.title ?? ''} onClose={() => answer(false)}>
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            answer(true);
          }}
        >
          <div className="confirm-body">{req?.body}</div>
          <div className="actions">
            <button type="button" className="ghost" onClick={() => answer(false)}>
              Cancelar
            </button>
            <button type="submit" className={req?.danger ? 'danger' : 'primary'} data-autofocus>
              {req?.confirmLabel ?? 'Confirmar'}
            </button>
          </div>
        </form>
      </Modal>
    </ConfirmContext.Provider>
  );
}

/** A short-lived success note under a form. */
export function useFlash(): [string | null, (msg: string) => void] {
  const [msg, setMsg] = useState<string | null>(null);
  useEffect(() => {
    if (!msg) return;
    const t = setTimeout(() => setMsg(null), 6000);
    return () => clearTimeout(t);
  }, [msg]);
  return [msg, setMsg];
}

export function Flash({ msg }: { msg: string | null }) {
  return msg ? (
    <div className="flash" role="status">
      {msg}
    </div>
  ) : null;
}

/** "En vivo" or "Actualizado a las 14:05:09" under live data; says when the data may be old. */
export function Updated({ at, offline }: { at: Date | null; offline: boolean }) {
  const live = useLive();
  if (!at) return null;
  if (offline) return <span className="stale">Sin conexión: datos de las {time(at)}</span>;
  return (
    <span className="muted" title={live ? 'Se actualiza sola cuando cambia algo' : 'Se actualiza cada pocos segundos'}>
      {live && (
        <>
          <span className="live-dot" aria-hidden="true" />
          En vivo ·{' '}
        </>
      )}
      Actualizado a las {time(at)}
    </span>
  );
}

/** The connection as the API client sees it, re-rendering when it changes. */
export function useConnection() {
  const [state, setState] = useState(connection);
  useEffect(() => onConnection(() => setState(connection())), []);
  return state;
}

/** A banner across the top while the server does not answer. */
export function OfflineBanner() {
  const { offline, lastAnswer } = useConnection();
  if (!offline) return null;
  return (
    <div className="offline-banner" role="alert">
      Sin conexión con el servidor{lastAnswer ? ` desde las ${time(lastAnswer)}` : ''}. Lo que ve puede estar desactualizado; no repita
      una venta sin verificarla.
    </div>
  );
}
