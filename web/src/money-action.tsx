import { useRef, useState, type ReactNode } from 'react';
import { ApiError } from './api/client';
import { asApiError, ErrorBox, useIdempotency } from './ui';

// One money POST at the counter, and what the cashier is told about it:
// done, refused (why, in Spanish), cancelled by them, or — after a lost reply
// or a server error — not known. An unknown outcome locks the form: the only
// ways on are «Reintentar», which sends the same request with the same
// Idempotency-Key (the server answers the first result, never charges twice),
// and «Verificar», which looks for it in the books.

export type Notice =
  | { kind: 'ok'; text: string; extra?: ReactNode }
  | { kind: 'cancel'; text: string }
  | { kind: 'error'; error: ApiError }
  | { kind: 'unknown'; text: string; checked?: string };

export function useMoneyAction<B, R>(post: (body: B, key: string) => Promise<R>) {
  const idem = useIdempotency();
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState(false);
  const pending = useRef<{ body: B; onOk: (r: R) => void; at: Date } | null>(null);
  const [locked, setLocked] = useState(false);

  async function attempt(body: B, onOk: (r: R) => void, at = new Date()) {
    setBusy(true);
    setNotice(null);
    try {
      const res = await post(body, idem.keyFor(body));
      idem.settle();
      pending.current = null;
      setLocked(false);
      onOk(res);
    } catch (err) {
      const error = asApiError(err);
      idem.settle(error);
      if (error.unknownOutcome) {
        pending.current = { body, onOk, at };
        setLocked(true);
        setNotice({
          kind: 'unknown',
          text: 'No sabemos si se registró: la respuesta del servidor no llegó. No lo cobre de nuevo: pulse «Reintentar» (no se cobra dos veces) o «Verificar».',
        });
      } else {
        pending.current = null;
        setLocked(false);
        setNotice({ kind: 'error', error });
      }
    } finally {
      setBusy(false);
    }
  }

  return {
    notice,
    setNotice,
    busy,
    /** An outcome is unknown: the fields stay as sent until it is resolved. */
    locked,
    attempt,
    retry: () => pending.current && attempt(pending.current.body, pending.current.onOk, pending.current.at),
    /** What was sent and when, while the outcome is unknown. */
    pending: () => pending.current,
    /** Resolved by a check: forget the pending attempt (and its key). */
    resolve() {
      pending.current = null;
      idem.settle();
      setLocked(false);
    },
  };
}

export type MoneyAction<B, R> = ReturnType<typeof useMoneyAction<B, R>>;

/** The notice under a money form, with the unknown outcome's two buttons. */
export function NoticeBox({ notice, onRetry, onVerify, busy }: { notice: Notice | null; onRetry?: () => void; onVerify?: () => void; busy?: boolean }) {
  if (!notice) return null;
  if (notice.kind === 'error') return <ErrorBox error={notice.error} />;
  if (notice.kind === 'ok')
    return (
      <div className="flash" role="status">
        {notice.text} {notice.extra}
      </div>
    );
  if (notice.kind === 'cancel')
    return (
      <div className="cancelled" role="status">
        {notice.text}
      </div>
    );
  return (
    <div className="unknown" role="alert">
      <p>{notice.text}</p>
      {notice.checked && <p className="small">{notice.checked}</p>}
      <div className="actions">
        {onVerify && (
          <button type="button" className="ghost" onClick={onVerify} disabled={busy}>
            Verificar
          </button>
        )}
        {onRetry && (
          <button type="button" className="primary" onClick={onRetry} disabled={busy}>
            Reintentar
          </button>
        )}
      </div>
    </div>
  );
}

export const invalidAmount = (field = 'monto') => new ApiError(0, 'Indique un monto mayor que cero, con hasta dos decimales.', [field]);
