import { useState, type FormEvent } from 'react';
import { ApiError, api, run, type Schemas, type Session } from '../api/client';
import { asApiError, Badge, Card, ErrorBox, Field, Flash, fmtDate, Pager, useConfirm, useFlash, useLoad } from '../ui';

// Drivers and collection points (wallet back office).

export function Drivers({ session }: { session: Session }) {
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const drivers = useLoad(
    () => run(() => api.GET('/drivers', { params: { query: { page: String(page), limit: '20', ...(query ? { search: query } : {}) } } })),
    [page, query],
  );
  const isAdmin = session.user.role === 'Administrador';
  const canTopup = isAdmin || session.user.role === 'Operador';

  return (
    <>
      <h1>Conductores</h1>
      {isAdmin && <CreateDriver onCreated={drivers.reload} />}
      <Card
        title="Conductores"
        actions={
          <form
            className="search"
            role="search"
            onSubmit={(e) => {
              e.preventDefault();
              setQuery(search.trim());
              setPage(1);
            }}
          >
            <input aria-label="Buscar conductor" placeholder="Buscar por nombre, teléfono o correo" value={search} onChange={(e) => setSearch(e.target.value)} />
            <button type="submit" className="ghost">
              Buscar
            </button>
          </form>
        }
      >
        <ErrorBox error={drivers.error} />
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Nombre</th>
                <th>Teléfono</th>
                <th>Correo</th>
                <th>Alta</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(drivers.data?.data ?? []).map((d) => (
                <tr key={d.id}>
                  <td>{d.nombre}</td>
                  <td>{d.telefono ?? '—'}</td>
                  <td>{d.email ?? '—'}</td>
                  <td>{fmtDate(d.createdAt)}</td>
                  <td className="row-actions">
                    <a className="button ghost small" href={`#/wallets/conductor/${d.id}`}>
                      Billetera
                    </a>
                    {canTopup && (
                      <a className="button ghost small" href={`#/wallets/recargas?driver=${d.id}`}>
                        Registrar recarga
                      </a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {drivers.data?.data.length === 0 && <p className="muted">Sin conductores.</p>}
        </div>
        <Pager page={page} totalPages={drivers.data?.meta.totalPages ?? 1} onPage={setPage} />
      </Card>
    </>
  );
}

function CreateDriver({ onCreated }: { onCreated: () => void }) {
  const [form, setForm] = useState({ nombre: '', telefono: '', email: '', password: '' });
  const [error, setError] = useState<ApiError>();
  const [flash, setFlash] = useFlash();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = {
      nombre: form.nombre.trim(),
      ...(form.telefono.trim() ? { telefono: form.telefono.trim() } : {}),
      ...(form.email.trim() ? { email: form.email.trim() } : {}),
      ...(form.password ? { password: form.password } : {}),
    };
    try {
      const res = await run(() => api.POST('/drivers', { body }));
      setError(undefined);
      setFlash(`Conductor ${res.data.nombre} creado con su billetera`);
      setForm({ nombre: '', telefono: '', email: '', password: '' });
      onCreated();
    } catch (err) {
      setError(asApiError(err));
    }
  };

  return (
    <Card title="Nuevo conductor">
      <form className="inline-form" onSubmit={submit} noValidate aria-label="Nuevo conductor">
        <Field label="Nombre del conductor" error={error?.forField('nombre')}>
          {(id) => <input id={id} value={form.nombre} onChange={set('nombre')} />}
        </Field>
        <Field label="Teléfono" error={error?.forField('telefono')}>
          {(id) => <input id={id} inputMode="tel" value={form.telefono} onChange={set('telefono')} />}
        </Field>
        <Field label="Correo (para ingresar)" error={error?.forField('email')}>
          {(id) => <input id={id} type="email" autoComplete="off" value={form.email} onChange={set('email')} />}
        </Field>
        <Field label="Contraseña" error={error?.forField('password')}>
          {(id) => <input id={id} type="password" autoComplete="new-password" value={form.password} onChange={set('password')} />}
        </Field>
        <button type="submit" className="primary">
          Crear conductor
        </button>
      </form>
      <ErrorBox error={error} />
      <Flash msg={flash} />
    </Card>
  );
}

export function Points({ session }: { session: Session }) {
  const [page, setPage] = useState(1);
  const points = useLoad(() => run(() => api.GET('/cash-collection-points', { params: { query: { page: String(page), limit: '20' } } })), [page]);
  const isAdmin = session.user.role === 'Administrador';
  const [error, setError] = useState<ApiError>();
  const confirm = useConfirm();

  const toggle = async (p: Schemas['CashCollectionPoint']) => {
    const ok = await confirm({
      title: p.isActive ? 'Desactivar punto de cobro' : 'Activar punto de cobro',
      body: <p>{p.isActive ? `¿Desactivar “${p.name}”? No podrá registrar nuevas recargas.` : `¿Activar “${p.name}”?`}</p>,
      danger: p.isActive,
    });
    if (!ok) return;
    try {
      await run(() => api.PATCH('/cash-collection-points/{id}', { params: { path: { id: p.id } }, body: { isActive: !p.isActive } }));
      setError(undefined);
    } catch (err) {
      setError(asApiError(err));
    }
    points.reload();
  };

  return (
    <>
      <h1>Puntos de cobro</h1>
      {isAdmin && <CreatePoint onCreated={points.reload} />}
      <Card title="Puntos de cobro">
        <ErrorBox error={error ?? points.error} />
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Nombre</th>
                <th>Dirección</th>
                <th>Teléfono</th>
                <th>Estado</th>
                {isAdmin && <th />}
              </tr>
            </thead>
            <tbody>
              {(points.data?.data ?? []).map((p) => (
                <tr key={p.id}>
                  <td>{p.name}</td>
                  <td>{p.address ?? '—'}</td>
                  <td>{p.contactPhone ?? '—'}</td>
                  <td>{p.isActive ? <Badge tone="ok">Activo</Badge> : <Badge tone="muted">Inactivo</Badge>}</td>
                  {isAdmin && (
                    <td className="row-actions">
                      <button type="button" className={`ghost small ${p.isActive ? 'danger-text' : ''}`} onClick={() => void toggle(p)}>
                        {p.isActive ? 'Desactivar' : 'Activar'}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <Pager page={page} totalPages={points.data?.meta.totalPages ?? 1} onPage={setPage} />
      </Card>
    </>
  );
}

function CreatePoint({ onCreated }: { onCreated: () => void }) {
  const [form, setForm] = useState({ name: '', address: '', contactPhone: '' });
  const [error, setError] = useState<ApiError>();
  const [flash, setFlash] = useFlash();
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = {
      name: form.name.trim(),
      ...(form.address.trim() ? { address: form.address.trim() } : {}),
      ...(form.contactPhone.trim() ? { contactPhone: form.contactPhone.trim() } : {}),
    };
    try {
      const res = await run(() => api.POST('/cash-collection-points', { body }));
      setError(undefined);
      setFlash(`Punto “${res.data.name}” creado`);
      setForm({ name: '', address: '', contactPhone: '' });
      onCreated();
    } catch (err) {
      setError(asApiError(err));
    }
  };
  return (
    <Card title="Nuevo punto de cobro">
      <form className="inline-form" onSubmit={submit} noValidate aria-label="Nuevo punto de cobro">
        <Field label="Nombre del punto" error={error?.forField('name')}>
          {(id) => <input id={id} value={form.name} onChange={set('name')} />}
        </Field>
        <Field label="Dirección" error={error?.forField('address')}>
          {(id) => <input id={id} value={form.address} onChange={set('address')} />}
        </Field>
        <Field label="Teléfono de contacto" error={error?.forField('contactPhone')}>
          {(id) => <input id={id} inputMode="tel" value={form.contactPhone} onChange={set('contactPhone')} />}
        </Field>
        <button type="submit" className="primary">
          Crear punto
        </button>
      </form>
      <ErrorBox error={error} />
      <Flash msg={flash} />
    </Card>
  );
}
