import { useState } from 'react';
import { login, type ApiError } from '../api/client';
import { asApiError, ErrorBox, Field } from '../ui';

export function Login() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await login(email.trim(), password);
    } catch (err) {
      setError(asApiError(err));
      setBusy(false);
    }
  };

  return (
    <div className="login-page">
      <form className="card login" onSubmit={submit}>
        <h1>Consola de caja</h1>
        <p className="muted">Cajas, recargas y billeteras de conductores</p>
        <Field label="Correo electrónico">
          {(id) => <input id={id} type="email" autoComplete="username" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Contraseña">
          {(id) => (
            <input id={id} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          )}
        </Field>
        <ErrorBox error={error} />
        <button type="submit" className="primary wide" disabled={busy}>
          {busy ? 'Ingresando…' : 'Ingresar'}
        </button>
      </form>
    </div>
  );
}
