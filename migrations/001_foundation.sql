-- Users, sessions and login throttling (API.md §1).
CREATE TABLE users (
  id            uuid PRIMARY KEY,
  email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 255),
  password_hash text NOT NULL,
  nombres       text NOT NULL CHECK (length(nombres) BETWEEN 1 AND 255),
  role          text NOT NULL CHECK (role IN ('Administrador', 'Operador', 'Usuario', 'Conductor')),
  activo        boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- One row per login: a refresh-token family. Revoking it kills the refresh
-- chain and every access token issued from it.
CREATE TABLE auth_sessions (
  id         uuid PRIMARY KEY,
  user_id    uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id);

CREATE TABLE refresh_tokens (
  token_hash text PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES auth_sessions (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at    timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE login_failures (
  id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL,
  ip    text NOT NULL,
  at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_idx ON login_failures (email, at);
CREATE INDEX login_failures_ip_idx ON login_failures (ip, at);

-- The double-entry ledger (API.md §5). Amounts are integer minor units.
-- posted = credits − debits of posted transfers, so all accounts sum to zero.
CREATE TABLE ledger_accounts (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code            text NOT NULL UNIQUE,
  kind            text NOT NULL CHECK (kind IN ('WORLD', 'CAJA', 'OPERADORA', 'COLLECTION_POINT', 'WALLET')),
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  floor           bigint,
  posted          bigint NOT NULL DEFAULT 0,
  pending_debits  bigint NOT NULL DEFAULT 0 CHECK (pending_debits >= 0),
  pending_credits bigint NOT NULL DEFAULT 0 CHECK (pending_credits >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- The last line of defence behind the service's conditional updates.
  CONSTRAINT ledger_accounts_floor CHECK (floor IS NULL OR posted - pending_debits >= floor)
);

-- Immutable transfers. Two-phase transfers are TigerBeetle-style: a PENDING
-- row reserves the amount; a later POST or VOID row names it in pending_id,
-- and the unique constraint lets each pending transfer be resolved once.
CREATE TABLE ledger_transfers (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  debit_account_id  bigint NOT NULL REFERENCES ledger_accounts (id),
  credit_account_id bigint NOT NULL REFERENCES ledger_accounts (id),
  amount            bigint NOT NULL CHECK (amount > 0),
  phase             text NOT NULL CHECK (phase IN ('SINGLE', 'PENDING', 'POST', 'VOID')),
  pending_id        bigint UNIQUE REFERENCES ledger_transfers (id),
  kind              text NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
  ref_type          text,
  ref_id            text,
  user_id           uuid,
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK (debit_account_id <> credit_account_id),
  CHECK ((phase IN ('POST', 'VOID')) = (pending_id IS NOT NULL))
);
CREATE INDEX ledger_transfers_debit_idx ON ledger_transfers (debit_account_id);
CREATE INDEX ledger_transfers_credit_idx ON ledger_transfers (credit_account_id);
CREATE INDEX ledger_transfers_ref_idx ON ledger_transfers (ref_type, ref_id);

CREATE FUNCTION ledger_transfers_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger transfers are immutable' USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE OR DELETE ON ledger_transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_transfers_immutable();
CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_transfers_immutable();

-- Idempotency-Key records (API.md §0), written in the same transaction as the
-- effect they describe. The body is kept as sent, for a byte-identical replay.
CREATE TABLE idempotency_keys (
  user_id      uuid NOT NULL,
  method       text NOT NULL,
  path         text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  status_code  integer NOT NULL,
  body         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, method, path, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
