// Live updates: one Socket.IO connection per tab, authenticated with the
// access token (API.md §6.5). Screens do not use the messages' contents: a
// `dataChanged` for an entity they show makes them load again, so what they
// show is always what the REST routes answer. While the socket is down the
// screens poll (useLoad), and on reconnecting they all load once, for what
// they missed.
import { io, type Socket } from 'socket.io-client';
import { getSession, onSession, prefix, refreshTokens } from './api/client';

export type Entity = 'caja' | 'recargas' | 'wallet';

const changeListeners = new Set<(entity: Entity | null) => void>();
const stateListeners = new Set<() => void>();
let socket: Socket | null = null;
let user: string | null = null;
let connected = false;
let retry: ReturnType<typeof setTimeout> | undefined;
// Backing off up to a minute; polling covers the screens meanwhile.
let delay = 1_000;

const setConnected = (value: boolean) => {
  if (connected === value) return;
  connected = value;
  for (const l of stateListeners) l();
};

function open() {
  close();
  const s = getSession();
  if (!s) return;
  user = s.user.id;
  const next = io(location.origin, {
    path: `${prefix}/socket.io`,
    // Read at every (re)connection: the newest token after a refresh.
    auth: (cb) => cb({ token: getSession()?.access_token }),
  });
  next.on('connect', () => {
    delay = 1_000;
    setConnected(true);
    for (const l of changeListeners) l(null);
  });
  next.on('disconnect', (reason) => {
    setConnected(false);
    // The server ends a socket at its token's expiry, at logout and when it stops: try again.
    if (reason === 'io server disconnect') later(() => next.connect());
  });
  next.on('connect_error', () => {
    setConnected(false);
    // Refused (an expired token): refresh the tokens first. A logout or a
    // changed role ends the login here too, and the socket with it.
    if (!next.active) later(() => void refreshTokens().then((ok) => (ok && getSession() ? next.connect() : undefined)));
  });
  next.on('dataChanged', (m: { entity?: string }) => {
    for (const l of changeListeners) l((m.entity ?? null) as Entity | null);
  });
  socket = next;
}

function later(fn: () => void) {
  clearTimeout(retry);
  retry = setTimeout(fn, delay);
  delay = Math.min(delay * 2, 60_000);
}

function close() {
  clearTimeout(retry);
  socket?.disconnect();
  socket = null;
  user = null;
  setConnected(false);
}

onSession((s) => {
  if (!s) close();
  else if (s.user.id !== user) open();
});
if (getSession()) open();

export const isLive = () => connected;

/** Calls `onChange` when one of the entities changes (and after a reconnection); returns the unsubscribe. */
export function onLiveChange(entities: Entity[], onChange: () => void) {
  const listener = (entity: Entity | null) => {
    if (entity === null || entities.includes(entity)) onChange();
  };
  changeListeners.add(listener);
  return () => void changeListeners.delete(listener);
}

export function onLiveState(listener: () => void) {
  stateListeners.add(listener);
  return () => void stateListeners.delete(listener);
}
