import { useState, type FormEvent } from 'react';
import { ApiError, api, run, type Schemas, type Session } from '../api/client';
import { money, pos as fmtPos } from '../format';
import { centsToNumber, parseInputCents } from '../money';
import { especialidadLabel } from './ShiftTables';
import { CreateCard } from '../components';
import { asApiError, Badge, Card, ErrorBox, Field, useConfirm, useFlash, useLoad } from '../ui';

type Especialidad = Schemas['Caja']['especialidad'];
const ESPECIALIDADES: Especialidad[] = ['MIXTA', 'SOLO_VENTAS', 'SOLO_AGENTES'];

export function Cajas({ session }: { session: Session }) {
  const cajas = useLoad(() => run(() => api.GET('/cajas')), [], undefined, ['caja']);
  const isAdmin = session.user.role === 'Administrador';
  const [editing, setEditing] = useState<number | null>(null);
  const [error, setError] = useState<ApiError>();
  const confirm = useConfirm();

  const deactivate = async (c: Schemas['Caja']) => {
    const ok = await confirm({
      title: 'Desactivar caja',
      body: (
        <p>
          ¿Desactivar <strong>{c.nombre}</strong>? No se podrá abrir otra sesión en ella. Su saldo ({fmtPos(c.saldo)}) se conserva.
        </p>
      ),
      confirmLabel: 'Desactivar',
      danger: true,
    });
    if (!ok) return;
    try {
      await run(() => api.DELETE('/cajas/{id}', { params: { path: { id: String(c.id) } } }));
      setError(undefined);
    } catch (err) {
      setError(asApiError(err));
    }
    cajas.reload();
  };

  return (
    <>
      <h1>Cajas</h1>
      {isAdmin && <CreateCaja onCreated={cajas.reload} />}
      <Card title="Cajas registradas">
        <ErrorBox error={error ?? cajas.error} />
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>#</th>
                <th>Nombre</th>
                <th>Especialidad</th>
                <th className="num">Saldo</th>
                <th>Estado</th>
                <th>Sesión abierta</th>
                <th>Sesiones</th>
                {isAdmin && <th />}
              </tr>
            </thead>
            <tbody>
              {(cajas.data ?? []).map((c) =>
                editing === c.id ? (
                  <EditCajaRow
                    key={c.id}
                    caja={c}
                    onDone={() => {
                      setEditing(null);
                      cajas.reload();
                    }}
                  />
                ) : (
                  <tr key={c.id}>
                    <td>{c.id}</td>
                    <td>{c.nombre}</td>
                    <td>{especialidadLabel(c.especialidad)}</td>
                    <td className="num">{fmtPos(c.saldo)}</td>
                    <td>{c.estado ? <Badge tone="ok">Activa</Badge> : <Badge tone="muted">Inactiva</Badge>}</td>
                    <td>{c.sesion_activa ? <a href={`#/caja/sesion/${c.sesion_activa.id}`}>Sesión n.º {c.sesion_activa.id}</a> : '—'}</td>
                    <td>
                      <a href={`#/cajas/${c.id}/sesiones`}>Arqueos</a>
                    </td>
                    {isAdmin && (
                      <td className="row-actions">
                        <button type="button" className="ghost small" onClick={() => setEditing(c.id)}>
                          Editar
                        </button>
                        {c.estado && (
                          <button type="button" className="ghost small danger-text" onClick={() => void deactivate(c)}>
                            Desactivar
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      </Card>
    </>
  );
}

function CreateCaja({ onCreated }: { onCreated: () => void }) {
  const [nombre, setNombre] = useState('');
  const [especialidad, setEspecialidad] = useState<Especialidad>('MIXTA');
  const [saldo, setSaldo] = useState('');
  const [error, setError] = useState<ApiError>();
  const [flash, setFlash] = useFlash();
  const confirm = useConfirm();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const cents = saldo.trim() === '' ? 0n : parseInputCents(saldo);
    if (cents === null) return setError(new ApiError(0, 'El saldo inicial lleva hasta dos decimales.', ['saldo']));
    if (cents > 0n) {
      const ok = await confirm({
        title: 'Crear caja con saldo inicial',
        body: (
          <p>
            Crear <strong>{nombre}</strong> con un saldo inicial de <strong className="amount">{money(cents)}</strong> (se registra como movimiento de apertura).
          </p>
        ),
        confirmLabel: 'Crear caja',
      });
      if (!ok) return;
    }
    try {
      const c = await run(() => api.POST('/cajas', { body: { nombre: nombre.trim(), especialidad, ...(cents > 0n ? { saldo: centsToNumber(cents) } : {}) } }));
      setError(undefined);
      setFlash(`Caja “${c.nombre}” creada (n.º ${c.id}).`);
      setNombre('');
      setSaldo('');
      onCreated();
    } catch (err) {
      setError(asApiError(err));
    }
  };

  return (
    <CreateCard title="Nueva caja" submitLabel="Crear caja" onSubmit={submit} error={error} flash={flash}>
      <Field label="Nombre de la caja" error={error?.forField('nombre')}>
        {(id) => <input id={id} value={nombre} onChange={(e) => setNombre(e.target.value)} minLength={3} maxLength={255} />}
      </Field>
      <EspecialidadSelect value={especialidad} onChange={setEspecialidad} />
      <Field label="Saldo inicial" error={error?.forField('saldo')}>
        {(id) => <input id={id} inputMode="decimal" value={saldo} onChange={(e) => setSaldo(e.target.value)} placeholder="0,00" />}
      </Field>
    </CreateCard>
  );
}

function EspecialidadSelect({ value, onChange }: { value: Especialidad; onChange: (e: Especialidad) => void }) {
  return (
    <Field label="Especialidad">
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value as Especialidad)}>
          {ESPECIALIDADES.map((x) => (
            <option key={x} value={x}>
              {especialidadLabel(x)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function EditCajaRow({ caja, onDone }: { caja: Schemas['Caja']; onDone: () => void }) {
  const [nombre, setNombre] = useState(caja.nombre);
  const [especialidad, setEspecialidad] = useState<Especialidad>(caja.especialidad);
  const [error, setError] = useState<ApiError>();
  const save = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await run(() => api.PATCH('/cajas/{id}', { params: { path: { id: String(caja.id) } }, body: { nombre: nombre.trim(), especialidad } }));
      onDone();
    } catch (err) {
      setError(asApiError(err));
    }
  };
  return (
    <tr className="editing">
      <td>{caja.id}</td>
      <td colSpan={7}>
        <form className="inline-form" onSubmit={save} aria-label={`Editar caja ${caja.id}`}>
          <Field label="Nombre">{(id) => <input id={id} value={nombre} onChange={(e) => setNombre(e.target.value)} autoFocus />}</Field>
          <EspecialidadSelect value={especialidad} onChange={setEspecialidad} />
          <button type="submit" className="primary small">
            Guardar
          </button>
          <button type="button" className="ghost small" onClick={onDone}>
            Cancelar
          </button>
        </form>
        <ErrorBox error={error} />
      </td>
    </tr>
  );
}
