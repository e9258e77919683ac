-- Cash registers, their sessions and movements, mobile operators, top-ups and
-- injections (API.md §2, §3). Every amount is integer minor units (cents).
-- Balances are never stored here: a caja's saldo and an operator's
-- saldo_actual are their ledger accounts' posted balance (ledger_accounts).

INSERT INTO ledger_accounts (code, kind, currency, floor)
VALUES ('world:BOB', 'WORLD', 'BOB', NULL)
ON CONFLICT (code) DO NOTHING;

-- Ids come from explicit sequences so an operation can draw the id of the
-- row it is about to write and name it in its ledger account or transfer.
CREATE SEQUENCE cajas_id_seq AS integer;
CREATE TABLE cajas (
  id           integer PRIMARY KEY DEFAULT nextval('cajas_id_seq'),
  nombre       text NOT NULL CHECK (length(nombre) BETWEEN 3 AND 255),
  especialidad text NOT NULL DEFAULT 'MIXTA' CHECK (especialidad IN ('SOLO_VENTAS', 'SOLO_AGENTES', 'MIXTA')),
  estado       boolean NOT NULL DEFAULT true,
  account_id   bigint NOT NULL UNIQUE REFERENCES ledger_accounts (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE cajas_id_seq OWNED BY cajas.id;

-- total_ingresos / total_egresos cache the MANUAL, RECARGA and INYECCION
-- movements; they are updated under the session row's lock, in the same
-- transaction as the movements, and verify recomputes them.
CREATE TABLE caja_sesiones (
  id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id_caja             integer NOT NULL REFERENCES cajas (id),
  id_usuario          uuid NOT NULL REFERENCES users (id),
  estado_sesion       text NOT NULL DEFAULT 'ABIERTA' CHECK (estado_sesion IN ('ABIERTA', 'CERRADA')),
  monto_inicial       bigint NOT NULL CHECK (monto_inicial >= 0),
  total_ingresos      bigint NOT NULL DEFAULT 0 CHECK (total_ingresos >= 0),
  total_egresos       bigint NOT NULL DEFAULT 0 CHECK (total_egresos >= 0),
  monto_final_teorico bigint,
  monto_final_real    bigint CHECK (monto_final_real >= 0),
  diferencia          bigint,
  fecha_apertura      timestamptz NOT NULL DEFAULT clock_timestamp(),
  fecha_cierre        timestamptz,
  CONSTRAINT caja_sesiones_closed_fields CHECK (
    (estado_sesion = 'CERRADA') = (fecha_cierre IS NOT NULL)
    AND (estado_sesion = 'CERRADA') = (monto_final_real IS NOT NULL)
    AND (estado_sesion = 'CERRADA') = (monto_final_teorico IS NOT NULL)
    AND (estado_sesion = 'CERRADA') = (diferencia IS NOT NULL)
  )
);
-- One open session per caja and one per user, whatever the callers do.
CREATE UNIQUE INDEX caja_sesiones_one_open_per_caja ON caja_sesiones (id_caja) WHERE estado_sesion = 'ABIERTA';
CREATE UNIQUE INDEX caja_sesiones_one_open_per_user ON caja_sesiones (id_usuario) WHERE estado_sesion = 'ABIERTA';
CREATE INDEX caja_sesiones_caja_idx ON caja_sesiones (id_caja);

CREATE SEQUENCE caja_movimientos_id_seq AS integer;
CREATE TABLE caja_movimientos (
  id             integer PRIMARY KEY DEFAULT nextval('caja_movimientos_id_seq'),
  id_caja        integer NOT NULL REFERENCES cajas (id),
  -- NULL only for the opening saldo given when the caja was created.
  id_sesion_caja integer REFERENCES caja_sesiones (id),
  tipo           text NOT NULL CHECK (tipo IN ('INGRESO', 'EGRESO')),
  monto          bigint NOT NULL CHECK (monto >= 0),
  motivo         text NOT NULL CHECK (length(motivo) BETWEEN 1 AND 255),
  origen         text NOT NULL CHECK (origen IN ('MANUAL', 'RECARGA', 'INYECCION', 'APERTURA', 'AJUSTE')),
  id_origen      integer,
  -- The ledger transfer that moved the money. A session's APERTURA movement
  -- only states the opening count: it moves nothing and has none.
  transfer_id    bigint UNIQUE REFERENCES ledger_transfers (id),
  fecha          timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT caja_movimientos_transfer CHECK (
    (origen = 'APERTURA' AND id_sesion_caja IS NOT NULL) = (transfer_id IS NULL)
  ),
  CONSTRAINT caja_movimientos_session CHECK (id_sesion_caja IS NOT NULL OR origen = 'APERTURA'),
  CONSTRAINT caja_movimientos_positive CHECK (transfer_id IS NULL OR monto > 0)
);
ALTER SEQUENCE caja_movimientos_id_seq OWNED BY caja_movimientos.id;
CREATE INDEX caja_movimientos_sesion_idx ON caja_movimientos (id_sesion_caja, id);
CREATE INDEX caja_movimientos_caja_idx ON caja_movimientos (id_caja);

CREATE TABLE operadoras (
  id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  nombre_operadora text NOT NULL UNIQUE CHECK (nombre_operadora IN ('Tigo', 'Entel', 'Viva')),
  account_id       bigint NOT NULL UNIQUE REFERENCES ledger_accounts (id)
);

INSERT INTO ledger_accounts (code, kind, currency, floor)
VALUES ('operadora:1', 'OPERADORA', 'BOB', 0),
       ('operadora:2', 'OPERADORA', 'BOB', 0),
       ('operadora:3', 'OPERADORA', 'BOB', 0);
INSERT INTO operadoras (nombre_operadora, account_id)
SELECT o.nombre, a.id
  FROM (VALUES (1, 'Tigo'), (2, 'Entel'), (3, 'Viva')) AS o (n, nombre)
  JOIN ledger_accounts a ON a.code = 'operadora:' || o.n
 ORDER BY o.n;

CREATE SEQUENCE recargas_cliente_id_seq AS integer;
CREATE TABLE recargas_cliente (
  id             integer PRIMARY KEY DEFAULT nextval('recargas_cliente_id_seq'),
  id_operadora   integer NOT NULL REFERENCES operadoras (id),
  numero_cliente text NOT NULL CHECK (numero_cliente ~ '^\+?[0-9]{6,15}$'),
  monto          bigint NOT NULL CHECK (monto > 0),
  id_caja_sesion integer NOT NULL REFERENCES caja_sesiones (id),
  id_usuario     uuid NOT NULL REFERENCES users (id),
  transfer_id    bigint NOT NULL UNIQUE REFERENCES ledger_transfers (id),
  fecha_hora     timestamptz NOT NULL DEFAULT clock_timestamp()
);
ALTER SEQUENCE recargas_cliente_id_seq OWNED BY recargas_cliente.id;
CREATE INDEX recargas_cliente_fecha_idx ON recargas_cliente (fecha_hora DESC, id DESC);
CREATE INDEX recargas_cliente_sesion_idx ON recargas_cliente (id_caja_sesion);
CREATE INDEX recargas_cliente_numero_idx ON recargas_cliente (numero_cliente);

CREATE SEQUENCE inyecciones_operadora_id_seq AS integer;
CREATE TABLE inyecciones_operadora (
  id             integer PRIMARY KEY DEFAULT nextval('inyecciones_operadora_id_seq'),
  id_operadora   integer NOT NULL REFERENCES operadoras (id),
  monto          bigint NOT NULL CHECK (monto > 0),
  id_caja_sesion integer NOT NULL REFERENCES caja_sesiones (id),
  id_usuario     uuid NOT NULL REFERENCES users (id),
  transfer_id    bigint NOT NULL UNIQUE REFERENCES ledger_transfers (id),
  fecha_hora     timestamptz NOT NULL DEFAULT clock_timestamp()
);
ALTER SEQUENCE inyecciones_operadora_id_seq OWNED BY inyecciones_operadora.id;
CREATE INDEX inyecciones_operadora_fecha_idx ON inyecciones_operadora (fecha_hora DESC, id DESC);
CREATE INDEX inyecciones_operadora_sesion_idx ON inyecciones_operadora (id_caja_sesion);
