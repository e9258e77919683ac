import { useState, type FormEvent } from 'react';
import { ApiError, api, run, type Role, type Schemas, type Session } from '../api/client';
import { ActiveBadge, CreateCard, DialogActions, ToggleActiveButton, FormInput, useCreateForm } from '../components';
import { asApiError, Card, ErrorBox, Field, Flash, fmtDate, Modal, useConfirm, useFlash, useLoad } from '../ui';

export const ROLES: Role[] = ['Administrador', 'Operador', 'Usuario', 'Conductor'];
const ROLE_HELP: Record<Role, string> = {
  Administrador: 'todo',
  Operador: 'cajero: su caja, recargas, recargas de billetera',
  Usuario: 'solo lectura',
  Conductor: 'solo su billetera',
};

export function Users({ session }: { session: Session }) {
  const users = useLoad(() => run(() => api.GET('/usuario')), []);
  const [error, setError] = useState<ApiError>();
  const [flash, setFlash] = useFlash();
  const confirm = useConfirm();

  const update = async (u: Schemas['User'], body: { role?: Role; activo?: boolean; password?: string }, what: string) => {
    try {
      await run(() => api.PATCH('/usuario/{id}', { params: { path: { id: u.id } }, body }));
      setError(undefined);
      setFlash(`${u.nombres}: ${what}`);
    } catch (err) {
      setError(asApiError(err));
    }
    users.reload();
  };

  const changeRole = async (u: Schemas['User'], role: Role) => {
    if (role === u.role) return;
    const ok = await confirm({
      title: 'Cambiar rol',
      body: (
        <p>
          ¿Cambiar el rol de <strong>{u.nombres}</strong> de {u.role} a <strong>{role}</strong>? Sus sesiones se cierran.
        </p>
      ),
    });
    if (ok) await update(u, { role }, `rol ${role}`);
    else users.reload();
  };

  const toggle = async (u: Schemas['User']) => {
    const ok = await confirm({
      title: u.activo ? 'Desactivar usuario' : 'Activar usuario',
      body: <p>{u.activo ? `¿Desactivar a ${u.nombres}? No podrá ingresar y sus sesiones terminan.` : `¿Activar a ${u.nombres}?`}</p>,
      danger: u.activo,
    });
    if (ok) await update(u, { activo: !u.activo }, u.activo ? 'desactivado' : 'activado');
  };

  const [pwUser, setPwUser] = useState<Schemas['User'] | null>(null);

  return (
    <>
      <h1>Usuarios y roles</h1>
      <CreateUser onCreated={users.reload} />
      <Card title="Usuarios">
        <ErrorBox error={error ?? users.error} />
        <Flash msg={flash} />
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Nombre</th>
                <th>Correo</th>
                <th>Rol</th>
                <th>Estado</th>
                <th>Creado</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(users.data ?? []).map((u) => (
                <tr key={u.id}>
                  <td>{u.nombres}</td>
                  <td>{u.email}</td>
                  <td>
                    <select
                      aria-label={`Rol de ${u.nombres}`}
                      value={u.role}
                      disabled={u.id === session.user.id}
                      onChange={(e) => void changeRole(u, e.target.value as Role)}
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <ActiveBadge active={u.activo} />
                  </td>
                  <td>{fmtDate(u.createdAt)}</td>
                  <td className="row-actions">
                    <button type="button" className="ghost small" onClick={() => setPwUser(u)}>
                      Contraseña
                    </button>
                    {u.id !== session.user.id && <ToggleActiveButton active={u.activo} onClick={() => void toggle(u)} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      {pwUser && (
        <PasswordDialog
          user={pwUser}
          onClose={() => setPwUser(null)}
          onSave={async (password) => {
            await update(pwUser, { password }, 'contraseña cambiada; sus sesiones se cerraron');
            setPwUser(null);
          }}
        />
      )}
    </>
  );
}

function PasswordDialog({ user, onClose, onSave }: { user: Schemas['User']; onClose: () => void; onSave: (password: string) => Promise<void> }) {
  const [password, setPassword] = useState('');
  return (
    <Modal open title={`Nueva contraseña para ${user.nombres}`} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void onSave(password);
        }}
      >
        <Field label="Nueva contraseña" hint="Mínimo 8 caracteres">
          {(id, d) => <input id={id} aria-describedby={d} type="password" autoComplete="new-password" minLength={8} required value={password} onChange={(e) => setPassword(e.target.value)} autoFocus />}
        </Field>
        <DialogActions onClose={onClose} submitLabel="Cambiar contraseña" submitClass="primary" />
      </form>
    </Modal>
  );
}

function CreateUser({ onCreated }: { onCreated: () => void }) {
  const f = useCreateForm({ email: '', password: '', nombres: '', role: 'Operador' as Role }, onCreated);
  const { form } = f;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    await f.save(
      () => run(() => api.POST('/usuario', { body: { ...form, email: form.email.trim(), nombres: form.nombres.trim() } })),
      (u) => `Usuario ${u.email} creado (${u.role})`,
      { email: '', password: '', nombres: '', role: form.role },
    );
  };

  return (
    <CreateCard title="Nuevo usuario" submitLabel="Crear usuario" onSubmit={submit} error={f.error} flash={f.flash}>
      <FormInput form={f} name="nombres" label="Nombres" />
      <FormInput form={f} name="email" label="Correo" type="email" autoComplete="off" />
      <FormInput form={f} name="password" label="Contraseña" type="password" autoComplete="new-password" />
      <Field label="Rol" hint={ROLE_HELP[form.role]}>
        {(id, d) => (
          <select id={id} aria-describedby={d} value={form.role} onChange={f.set('role')}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        )}
      </Field>
    </CreateCard>
  );
}
