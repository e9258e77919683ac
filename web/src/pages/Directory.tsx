import { useState, type FormEvent } from 'react';
import { ApiError, api, run, type Schemas, type Session } from '../api/client';
import { ActiveBadge, CreateCard, DialogActions, FormInput, ToggleActiveButton, SearchForm, useCreateForm } from '../components';
import { asApiError, Card, ErrorBox, fmtDate, Modal, Pager, useConfirm, useLoad } from '../ui';

// Drivers and collection points (wallet back office).

export function Drivers({ session }: { session: Session }) {
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const drivers = useLoad(
    () => run(() => api.GET('/drivers', { params: { query: { page: String(page), limit: '20', ...(query ? { search: query } : {}) } } })),
    [page, query],
    undefined,
    ['wallet'],
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
          <SearchForm
            label="Buscar conductor"
            placeholder="Buscar por nombre, teléfono o correo"
            value={search}
            onChange={setSearch}
            onSearch={() => {
              setQuery(search.trim());
              setPage(1);
            }}
          />
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
  const f = useCreateForm({ nombre: '', telefono: '', email: '', password: '' }, onCreated);
  const { form } = f;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = {
      nombre: form.nombre.trim(),
      ...(form.telefono.trim() ? { telefono: form.telefono.trim() } : {}),
      ...(form.email.trim() ? { email: form.email.trim() } : {}),
      ...(form.password ? { password: form.password } : {}),
    };
    await f.save(
      () => run(() => api.POST('/drivers', { body })),
      (res) => `Conductor ${res.data.nombre} creado con su billetera`,
    );
  };

  return (
    <CreateCard title="Nuevo conductor" submitLabel="Crear conductor" onSubmit={submit} error={f.error} flash={f.flash}>
      <FormInput form={f} name="nombre" label="Nombre del conductor" />
      <FormInput form={f} name="telefono" label="Teléfono" inputMode="tel" />
      <FormInput form={f} name="email" label="Correo (para ingresar)" type="email" autoComplete="off" />
      <FormInput form={f} name="password" label="Contraseña" type="password" autoComplete="new-password" />
    </CreateCard>
  );
}

export function Points({ session }: { session: Session }) {
  const [page, setPage] = useState(1);
  const points = useLoad(() => run(() => api.GET('/cash-collection-points', { params: { query: { page: String(page), limit: '20' } } })), [page]);
  const isAdmin = session.user.role === 'Administrador';
  const [error, setError] = useState<ApiError>();
  const [staffing, setStaffing] = useState<Schemas['CashCollectionPoint'] | null>(null);
  const confirm = useConfirm();
  // Names for the staff column: only an Administrador may list users.
  const users = useLoad(() => (isAdmin ? run(() => api.GET('/usuario')) : Promise.resolve([])), [isAdmin]);
  const nameOf = (id: string) => users.data?.find((u) => u.id === id)?.nombres ?? 'Cajero';

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
                <th>Atendido por</th>
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
                  <td data-testid={`staff-${p.name}`}>
                    {p.staffUserIds.length === 0 ? <span className="muted">Cualquier cajero</span> : isAdmin ? p.staffUserIds.map(nameOf).join(', ') : `${p.staffUserIds.length} cajero(s)`}
                  </td>
                  <td>
                    <ActiveBadge active={p.isActive} />
                  </td>
                  {isAdmin && (
                    <td className="row-actions">
                      <button type="button" className="ghost small" onClick={() => setStaffing(p)}>
                        Personal
                      </button>
                      <ToggleActiveButton active={p.isActive} onClick={() => void toggle(p)} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <Pager page={page} totalPages={points.data?.meta.totalPages ?? 1} onPage={setPage} />
      </Card>
      {staffing && (
        <StaffDialog
          point={staffing}
          cashiers={(users.data ?? []).filter((u) => u.role === 'Operador' && (u.activo || staffing.staffUserIds.includes(u.id)))}
          onClose={() => setStaffing(null)}
          onSaved={() => {
            setStaffing(null);
            points.reload();
          }}
        />
      )}
    </>
  );
}

/** Who may record cash at a point: checked Operadores only, or (none checked) any. */
function StaffDialog({
  point,
  cashiers,
  onClose,
  onSaved,
}: {
  point: Schemas['CashCollectionPoint'];
  cashiers: Schemas['PublicUser'][];
  onClose: () => void;
  onSaved: () => void;
}) {
  const [chosen, setChosen] = useState(() => new Set(point.staffUserIds));
  const [error, setError] = useState<ApiError>();
  const toggle = (id: string) => {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setChosen(next);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await run(() => api.PATCH('/cash-collection-points/{id}', { params: { path: { id: point.id } }, body: { staffUserIds: [...chosen] } }));
      onSaved();
    } catch (err) {
      setError(asApiError(err));
    }
  };
  return (
    <Modal open title={`Personal de ${point.name}`} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <p className="small">
          Solo los cajeros marcados (y los administradores) pueden registrar efectivo en este punto. Sin ninguno marcado, cualquier cajero puede.
        </p>
        <fieldset className="checklist">
          <legend>Cajeros</legend>
          {cashiers.length === 0 && <p className="muted">No hay cajeros (Operadores) activos.</p>}
          {cashiers.map((u) => (
            <label key={u.id}>
              <input type="checkbox" checked={chosen.has(u.id)} onChange={() => toggle(u.id)} /> {u.nombres} <span className="muted small">{u.email}</span>
            </label>
          ))}
        </fieldset>
        <ErrorBox error={error} />
        <DialogActions onClose={onClose} submitLabel="Guardar personal" submitClass="primary" />
      </form>
    </Modal>
  );
}

function CreatePoint({ onCreated }: { onCreated: () => void }) {
  const f = useCreateForm({ name: '', address: '', contactPhone: '' }, onCreated);
  const { form } = f;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = {
      name: form.name.trim(),
      ...(form.address.trim() ? { address: form.address.trim() } : {}),
      ...(form.contactPhone.trim() ? { contactPhone: form.contactPhone.trim() } : {}),
    };
    await f.save(
      () => run(() => api.POST('/cash-collection-points', { body })),
      (res) => `Punto “${res.data.name}” creado`,
    );
  };
  return (
    <CreateCard title="Nuevo punto de cobro" submitLabel="Crear punto" onSubmit={submit} error={f.error} flash={f.flash}>
      <FormInput form={f} name="name" label="Nombre del punto" />
      <FormInput form={f} name="address" label="Dirección" />
      <FormInput form={f} name="contactPhone" label="Teléfono de contacto" inputMode="tel" />
    </CreateCard>
  );
}
