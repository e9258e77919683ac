import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { api, run, type Schemas } from './api/client';

// Picking one driver out of thousands: type part of the name, phone or
// email; the server searches (GET /drivers?search=) once typing pauses; the
// arrows move through the matches, Enter takes one, Escape closes the list.
// An ARIA 1.2 combobox, so a screen reader announces it as one.

type Driver = Schemas['Driver'];
const DEBOUNCE_MS = 250;
const SHOWN = 12;

const describe = (d: Driver) => [d.telefono, d.email].filter(Boolean).join(' · ');

export function DriverPicker({
  label,
  value,
  onChange,
  autoFocus,
  error,
}: {
  label: string;
  value: Driver | null;
  onChange: (d: Driver | null) => void;
  autoFocus?: boolean;
  error?: string | undefined;
}) {
  const id = useId();
  const listId = `${id}-list`;
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const [matches, setMatches] = useState<{ q: string; rows: Driver[]; total: number } | null>(null);
  const [active, setActive] = useState(0);
  const [failed, setFailed] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  // Search as typing pauses; a reply to an older query never replaces a newer one.
  useEffect(() => {
    if (!open) return;
    let current = true;
    const t = setTimeout(() => {
      const q = text.trim();
      run(() => api.GET('/drivers', { params: { query: { page: '1', limit: String(SHOWN), ...(q ? { search: q } : {}) } } }))
        .then((res) => {
          if (!current) return;
          setMatches({ q, rows: res.data, total: res.meta.total });
          setActive(0);
          setFailed(false);
        })
        .catch(() => current && setFailed(true));
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(t);
    };
  }, [text, open]);

  const choose = (d: Driver) => {
    onChange(d);
    setOpen(false);
    setText('');
  };

  // Matches for what was typed before the last keystroke are shown, but Enter never takes one.
  const fresh = matches !== null && matches.q === text.trim();

  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    const rows = matches?.rows ?? [];
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      if (!open) setOpen(true);
      else setActive((i) => Math.min(i + 1, rows.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((i) => Math.max(i - 1, 0));
    } else if (e.key === 'Enter' && open) {
      // Enter takes the highlighted driver; it never submits the form underneath.
      e.preventDefault();
      const d = fresh ? rows[active] : undefined;
      if (d) choose(d);
    } else if (e.key === 'Escape' && open) {
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
    }
  };

  if (value) {
    return (
      <div className="field driver-field">
        <span className="field-label" id={`${id}-label`}>
          {label}
        </span>
        <div className="picked" aria-labelledby={`${id}-label`} data-testid="driver-picked">
          <span className="picked-name">
            <strong>{value.nombre}</strong>
            {describe(value) && <span className="muted small"> · {describe(value)}</span>}
          </span>
          <button
            type="button"
            className="ghost small"
            onClick={() => {
              onChange(null);
              setOpen(true);
              queueMicrotask(() => input.current?.focus());
            }}
          >
            Cambiar
          </button>
        </div>
      </div>
    );
  }

  const rows = matches?.rows ?? [];
  return (
    <div className={`field driver-field combobox${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        ref={input}
        id={id}
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open && fresh && rows[active] ? `${listId}-${active}` : undefined}
        aria-invalid={error ? true : undefined}
        autoComplete="off"
        autoFocus={autoFocus}
        placeholder="Nombre, teléfono o correo"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKey}
      />
      {open && (
        <ul id={listId} role="listbox" aria-label={`${label}: resultados`} aria-busy={!fresh} className={`combobox-list${fresh ? '' : ' stale'}`}>
          {failed && <li className="muted small">No se pudo buscar. Revise la conexión.</li>}
          {!failed && matches === null && <li className="muted small">Buscando…</li>}
          {!failed && matches?.rows.length === 0 && <li className="muted small">Ningún conductor coincide con «{text.trim()}».</li>}
          {rows.map((d, i) => (
            <li
              key={d.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={fresh && i === active}
              className={fresh && i === active ? 'active' : ''}
              onMouseDown={(e) => e.preventDefault()}
              onMouseEnter={() => setActive(i)}
              onClick={() => choose(d)}
            >
              <span className="option-name">{d.nombre}</span>
              {describe(d) && <span className="muted small">{describe(d)}</span>}
            </li>
          ))}
          {matches && matches.total > rows.length && (
            <li className="muted small" aria-hidden>
              {matches.total - rows.length} más: siga escribiendo para acotar.
            </li>
          )}
        </ul>
      )}
      {error && <span className="field-error">{error}</span>}
    </div>
  );
}

/** The driver named in the page address (#/…?driver=<id>), loaded once. */
export function useDriverFromHash(): [Driver | null, (d: Driver | null) => void] {
  const [driver, setDriver] = useState<Driver | null>(null);
  useEffect(() => {
    const id = /[?&]driver=([0-9a-f-]{36})/.exec(location.hash)?.[1];
    if (id) void run(() => api.GET('/drivers/{id}', { params: { path: { id } } })).then((r) => setDriver(r.data), () => undefined);
  }, []);
  return [driver, setDriver];
}
