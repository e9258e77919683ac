import { useEffect, useState, type ReactNode } from 'react';
import { ApiError, api, getSession, logout, onSession, run, type Role, type Session } from './api/client';
import { shop } from './format';
import { Arqueos } from './pages/Arqueos';
import { Cajas } from './pages/Cajas';
import { CashReceipt } from './pages/CashReceipt';
import { Dashboard } from './pages/Dashboard';
import { History } from './pages/History';
import { Injections } from './pages/Injections';
import { Login } from './pages/Login';
import { Drivers, Points } from './pages/Directory';
import { SessionView, Shift } from './pages/Shift';
import { ShiftReport } from './pages/ShiftReport';
import { Ticket } from './pages/Ticket';
import { Topups } from './pages/Topups';
import { Users } from './pages/Users';
import { DriverWallet, MyWallet } from './pages/Wallet';
import { match, navigate, useRoute } from './router';
import { ConfirmProvider, OfflineBanner, useConfirm } from './ui';

const A: Role = 'Administrador';
const O: Role = 'Operador';
const U: Role = 'Usuario';
const C: Role = 'Conductor';

interface Page {
  path: string;
  /** Shown in the menu under this label (omit for detail pages). */
  label?: string;
  group?: 'Recargas de saldo (teléfonos)' | 'Administración' | 'Billeteras de conductores';
  roles: Role[];
  render: (params: Record<string, string>, session: Session) => ReactNode;
}

// Nothing is shown to a role that cannot use it: the menu and the pages are
// filtered by the same table (the API refuses anyway).
const PHONES = 'Recargas de saldo (teléfonos)' as const;
const WALLETS = 'Billeteras de conductores' as const;
const PAGES: Page[] = [
  { path: '/tablero', label: 'Tablero del día', group: 'Administración', roles: [A, U], render: () => <Dashboard /> },
  { path: '/caja', label: 'Mi caja', group: PHONES, roles: [A, O], render: (_, s) => <Shift session={s} /> },
  { path: '/caja/sesion/:id', roles: [A, O, U], render: (p, s) => <SessionView id={Number(p.id)} session={s} /> },
  { path: '/caja/sesion/:id/reporte', roles: [A, O, U], render: (p, s) => <ShiftReport id={Number(p.id)} session={s} /> },
  { path: '/historial', label: 'Historial de ventas', group: PHONES, roles: [A, O, U], render: (_, s) => <History session={s} /> },
  { path: '/ticket/:id', roles: [A, O, U], render: (p) => <Ticket id={Number(p.id)} /> },
  { path: '/cajas', label: 'Cajas y arqueos', group: 'Administración', roles: [A, U], render: (_, s) => <Cajas session={s} /> },
  { path: '/cajas/:id/sesiones', roles: [A, O, U], render: (p) => <Arqueos cajaId={Number(p.id)} /> },
  { path: '/inyecciones', label: 'Inyecciones de saldo', group: 'Administración', roles: [A], render: (_, s) => <Injections session={s} /> },
  { path: '/usuarios', label: 'Usuarios y roles', group: 'Administración', roles: [A], render: (_, s) => <Users session={s} /> },
  { path: '/wallets/recargas', label: 'Efectivo recibido', group: WALLETS, roles: [A, O, U], render: (_, s) => <Topups session={s} /> },
  { path: '/wallets/conductores', label: 'Conductores', group: WALLETS, roles: [A, O, U], render: (_, s) => <Drivers session={s} /> },
  { path: '/wallets/puntos', label: 'Puntos de cobro', group: WALLETS, roles: [A, O, U], render: (_, s) => <Points session={s} /> },
  { path: '/wallets/recibo/:id', roles: [A, O, U], render: (p) => <CashReceipt ccrId={p.id!} /> },
  { path: '/wallets/conductor/:id', roles: [A, O, U], render: (p, s) => <DriverWallet driverId={p.id!} session={s} /> },
  { path: '/mi-billetera', label: 'Mi billetera', group: WALLETS, roles: [C], render: (_, s) => <MyWallet session={s} /> },
];

const HOME: Record<Role, string> = { Administrador: '/tablero', Operador: '/caja', Usuario: '/tablero', Conductor: '/mi-billetera' };

export function App() {
  const [session, setSessionState] = useState<Session | null>(getSession);
  const path = useRoute();
  useEffect(() => onSession(setSessionState), []);

  if (!session) return <Login />;

  const role = session.user.role;
  let found: { page: Page; params: Record<string, string> } | null = null;
  for (const page of PAGES) {
    const params = match(page.path, path);
    if (params && page.roles.includes(role)) {
      found = { page, params };
      break;
    }
  }
  if (!found) {
    // Unknown or not allowed for this role: go home.
    queueMicrotask(() => navigate(HOME[role]));
    return null;
  }

  const menu = PAGES.filter((p) => p.label && p.roles.includes(role));
  const groups = [...new Set(menu.map((p) => p.group))];
  return (
    <ConfirmProvider>
      <div className="shell">
        <header className="topbar no-print">
          <a className="brand" href={`#${HOME[role]}`}>
            {shop().shopName}
          </a>
          <div className="who">
            <span className="who-name">{session.user.nombres}</span>
            <span className="badge info">{role}</span>
            <LogoutButton role={role} />
          </div>
        </header>
        <nav className="sidebar no-print" aria-label="Menú principal">
          {groups.map((g) => (
            <div key={g} className="nav-group">
              <div className="nav-title">{g}</div>
              {menu
                .filter((p) => p.group === g)
                .map((p) => (
                  <a key={p.path} href={`#${p.path}`} className={path === p.path || path.startsWith(`${p.path}/`) ? 'active' : ''}>
                    {p.label}
                  </a>
                ))}
            </div>
          ))}
        </nav>
        <main className="content" key={path}>
          <OfflineBanner />
          {found.page.render(found.params, session)}
        </main>
      </div>
    </ConfirmProvider>
  );
}

/** «Salir» ends the login; a cashier whose caja is still open is told first. */
function LogoutButton({ role }: { role: Role }) {
  const confirm = useConfirm();
  const out = async () => {
    if (role === 'Operador' || role === 'Administrador') {
      const open = await run(() => api.GET('/cajas/sesion-activa')).catch((err: unknown) => (err instanceof ApiError && err.status === 404 ? null : undefined));
      if (open) {
        const ok = await confirm({
          title: 'Su caja sigue abierta',
          body: <p>Puede salir y volver más tarde: la caja queda abierta a su nombre. Para terminar el turno, use «Cerrar caja» antes de salir.</p>,
          confirmLabel: 'Salir de todos modos',
        });
        if (!ok) return;
      }
    }
    await logout();
    navigate('/');
  };
  return (
    <button type="button" className="ghost small" onClick={() => void out()}>
      Salir
    </button>
  );
}
