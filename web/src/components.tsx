import { useState, type FormEvent, type InputHTMLAttributes, type ReactNode } from 'react';
import type { ApiError } from './api/client';
import { asApiError, Badge, Card, ErrorBox, Field, Flash, useFlash, useIdempotency } from './ui';

// Form pieces shared by several screens.

export const OPERADORAS = ['Tigo', 'Entel', 'Viva'] as const;
export type Operadora = (typeof OPERADORAS)[number];

/** A labelled <select> of the mobile operators. */
export function OperadoraSelect({ label, value, onChange, error }: { label: string; value: Operadora; onChange: (o: Operadora) => void; error?: string | undefined }) {
  return (
    <Field label={label} error={error}>
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value as Operadora)}>
          {OPERADORAS.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A labelled text input for an amount ("0.00"), kept as the typed text. */
export function MoneyInput({ label, value, onChange, error, hint }: { label: string; value: string; onChange: (v: string) => void; error?: string | undefined; hint?: string | undefined }) {
  return (
    <Field label={label} error={error} hint={hint}>
      {(id, d) => <input id={id} aria-describedby={d} inputMode="decimal" autoComplete="off" value={value} onChange={(e) => onChange(e.target.value)} placeholder="0.00" />}
    </Field>
  );
}

/** The search box in a card's header; `children` go between the input and the button. */
export function SearchForm({
  label,
  placeholder,
  value,
  onChange,
  onSearch,
  children,
}: {
  label: string;
  placeholder: string;
  value: string;
  onChange: (v: string) => void;
  onSearch: () => void;
  children?: ReactNode;
}) {
  return (
    <form
      className="search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch();
      }}
    >
      <input aria-label={label} placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />
      {children}
      <button type="submit" className="ghost">
        Buscar
      </button>
    </form>
  );
}

/** The "Volver" + submit buttons at the bottom of a dialog's form. */
export function DialogActions({ onClose, submitLabel, submitClass, busy }: { onClose: () => void; submitLabel: ReactNode; submitClass: string; busy?: boolean }) {
  return (
    <div className="actions">
      <button type="button" className="ghost" onClick={onClose}>
        Volver
      </button>
      <button type="submit" className={submitClass} disabled={busy}>
        {submitLabel}
      </button>
    </div>
  );
}

// ---- "Nuevo …" cards: an inline form, its errors and a success note

/** The state of a create form whose fields are all text: `set(k)` is an input's onChange. */
export function useCreateForm<T extends Record<string, string>>(initial: T, onCreated: () => void) {
  const [form, setForm] = useState(initial);
  const [error, setError] = useState<ApiError>();
  const [flash, setFlash] = useFlash();
  const set = (k: keyof T) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  /** Creates; on success clears the error, shows `message(result)`, resets the form to `next` and calls onCreated. */
  const save = async <R,>(create: () => Promise<R>, message: (res: R) => string, next: T = initial) => {
    try {
      const res = await create();
      setError(undefined);
      setFlash(message(res));
      setForm(next);
      onCreated();
    } catch (err) {
      setError(asApiError(err));
    }
  };
  return { form, set, error, flash, save };
}
export type CreateForm<T extends Record<string, string>> = ReturnType<typeof useCreateForm<T>>;

/** A labelled input bound to one field of a useCreateForm, showing that field's error. */
export function FormInput<T extends Record<string, string>>({
  form,
  name,
  label,
  ...props
}: { form: CreateForm<T>; name: keyof T & string; label: string } & Omit<InputHTMLAttributes<HTMLInputElement>, 'form' | 'name' | 'id' | 'value' | 'onChange'>) {
  return <Field label={label} error={form.error?.forField(name)}>{(id) => <input id={id} {...props} value={form.form[name]} onChange={form.set(name)} />}</Field>;
}

export function CreateCard({
  title,
  submitLabel,
  onSubmit,
  error,
  flash,
  children,
}: {
  title: string;
  submitLabel: string;
  onSubmit: (e: FormEvent) => void;
  error: ApiError | undefined;
  flash: string | null;
  children: ReactNode;
}) {
  return (
    <Card title={title}>
      <form className="inline-form" onSubmit={onSubmit} noValidate aria-label={title}>
        {children}
        <button type="submit" className="primary">
          {submitLabel}
        </button>
      </form>
      <ErrorBox error={error} />
      <Flash msg={flash} />
    </Card>
  );
}

// ---- money POSTs with an Idempotency-Key

/**
 * Sends one idempotent POST: `busy` while it runs; the key (made from `keyBody`)
 * is kept only when the outcome is unknown. On success calls `onOk(result)`;
 * on failure `onError`. Returns whether it succeeded.
 */
export function useIdempotentSend(onError: (err: ApiError) => void) {
  const idem = useIdempotency();
  const [busy, setBusy] = useState(false);
  const send = async <R,>(keyBody: unknown, call: (key: string) => Promise<R>, onOk: (res: R) => void): Promise<boolean> => {
    setBusy(true);
    try {
      const res = await call(idem.keyFor(keyBody));
      idem.settle();
      onOk(res);
      return true;
    } catch (err) {
      idem.settle(err);
      onError(asApiError(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, send };
}

// ---- active / inactive records (users, collection points)

export function ActiveBadge({ active }: { active: boolean }) {
  return active ? <Badge tone="ok">Activo</Badge> : <Badge tone="muted">Inactivo</Badge>;
}

/** "Desactivar" (in red) for an active record, "Activar" for an inactive one. */
export function ToggleActiveButton({ active, onClick }: { active: boolean; onClick: () => void }) {
  return (
    <button type="button" className={`ghost small ${active ? 'danger-text' : ''}`} onClick={onClick}>
      {active ? 'Desactivar' : 'Activar'}
    </button>
  );
}
