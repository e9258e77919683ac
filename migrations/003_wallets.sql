-- Driver wallets and two-phase cash top-ups (API.md §4). Money lives in the
-- ledger (001); these tables are the business records that point at it.
-- Amounts are integer minor units.

CREATE TABLE drivers (
  id         uuid PRIMARY KEY,
  nombre     text NOT NULL CHECK (length(nombre) BETWEEN 1 AND 255),
  telefono   text CHECK (length(telefono) <= 50),
  email      text CHECK (length(email) <= 255),
  -- The Conductor login of this driver, when one was created with it.
  user_id    uuid UNIQUE REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX drivers_email_key ON drivers (lower(email));
CREATE INDEX drivers_created_idx ON drivers (created_at, id);

CREATE TABLE wallets (
  id                     uuid PRIMARY KEY,
  driver_id              uuid NOT NULL UNIQUE REFERENCES drivers (id),
  currency               text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status                 text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
  allowed_negative_limit bigint NOT NULL DEFAULT 0 CHECK (allowed_negative_limit >= 0),
  account_id             bigint NOT NULL UNIQUE REFERENCES ledger_accounts (id),
  status_changed_at      timestamptz,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);

-- Every block/unblock that changed something: who, when, why.
CREATE TABLE wallet_status_changes (
  id              uuid PRIMARY KEY,
  wallet_id       uuid NOT NULL REFERENCES wallets (id),
  previous_status text NOT NULL CHECK (previous_status IN ('active', 'blocked')),
  status          text NOT NULL CHECK (status IN ('active', 'blocked')),
  reason          text CHECK (length(reason) <= 250),
  comment         text CHECK (length(comment) <= 500),
  changed_by      uuid NOT NULL REFERENCES users (id),
  changed_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK (previous_status <> status)
);
CREATE INDEX wallet_status_changes_wallet_idx ON wallet_status_changes (wallet_id, changed_at);

-- Ledger accounts of a point are found by code: point:<uuid>:<CUR>.
CREATE TABLE cash_collection_points (
  id            uuid PRIMARY KEY,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  address       text CHECK (length(address) <= 255),
  contact_phone text CHECK (length(contact_phone) <= 50),
  is_active     boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The wallet "transaction": one per top-up or debit, the id clients see.
CREATE TABLE wallet_transactions (
  id          uuid PRIMARY KEY,
  wallet_id   uuid NOT NULL REFERENCES wallets (id),
  type        text NOT NULL CHECK (type IN ('cash_topup', 'commission', 'penalty', 'plan_purchase', 'adjustment')),
  status      text NOT NULL CHECK (status IN ('pending', 'completed', 'cancelled')),
  amount      bigint NOT NULL CHECK (amount > 0),
  currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  description text CHECK (length(description) <= 255),
  reference   text CHECK (length(reference) <= 255),
  created_by  uuid NOT NULL REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wallet_transactions_wallet_idx ON wallet_transactions (wallet_id, created_at);

CREATE TABLE cash_collection_records (
  id                   uuid PRIMARY KEY,
  driver_id            uuid NOT NULL REFERENCES drivers (id),
  wallet_id            uuid NOT NULL REFERENCES wallets (id),
  transaction_id       uuid NOT NULL UNIQUE REFERENCES wallet_transactions (id),
  collection_point_id  uuid NOT NULL REFERENCES cash_collection_points (id),
  collected_by_user_id uuid NOT NULL REFERENCES users (id),
  amount               bigint NOT NULL CHECK (amount > 0),
  currency             text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status               text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed', 'cancelled')),
  notes                text CHECK (length(notes) <= 250),
  description          text CHECK (length(description) <= 250),
  metadata             jsonb,
  -- The PENDING ledger transfer point → wallet; posted on confirm, voided on cancel.
  pending_transfer_id  bigint NOT NULL UNIQUE REFERENCES ledger_transfers (id),
  created_by_user_id   uuid NOT NULL REFERENCES users (id),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  confirmed_at         timestamptz,
  confirmed_by_user_id uuid REFERENCES users (id),
  confirm_comment      text CHECK (length(confirm_comment) <= 500),
  cancelled_at         timestamptz,
  cancelled_by_user_id uuid REFERENCES users (id),
  cancel_reason        text CHECK (length(cancel_reason) <= 250),
  CHECK ((status = 'completed') = (confirmed_at IS NOT NULL AND confirmed_by_user_id IS NOT NULL)),
  CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL AND cancelled_by_user_id IS NOT NULL))
);
CREATE INDEX ccr_driver_idx ON cash_collection_records (driver_id, status);
CREATE INDEX ccr_point_idx ON cash_collection_records (collection_point_id);
CREATE INDEX ccr_created_idx ON cash_collection_records (created_at, id);

-- One immutable row per posted change of a wallet's balance. seq orders a
-- wallet's movements the way they were applied (its ledger account is locked
-- from the change until commit, so the next one always gets a higher seq).
CREATE TABLE wallet_movements (
  id                 uuid PRIMARY KEY,
  seq                bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  wallet_id          uuid NOT NULL REFERENCES wallets (id),
  transaction_id     uuid NOT NULL REFERENCES wallet_transactions (id),
  type               text NOT NULL CHECK (type IN ('cash_topup', 'commission', 'penalty', 'plan_purchase', 'adjustment')),
  amount             bigint NOT NULL CHECK (amount <> 0),
  previous_balance   bigint NOT NULL,
  new_balance        bigint NOT NULL,
  note               text CHECK (length(note) <= 255),
  ledger_transfer_id bigint NOT NULL UNIQUE REFERENCES ledger_transfers (id),
  created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK (new_balance = previous_balance + amount)
);
CREATE INDEX wallet_movements_wallet_created_idx ON wallet_movements (wallet_id, created_at, id);
CREATE INDEX wallet_movements_transaction_idx ON wallet_movements (transaction_id);

CREATE FUNCTION wallet_movements_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'wallet movements are immutable' USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER wallet_movements_no_update BEFORE UPDATE OR DELETE ON wallet_movements
  FOR EACH ROW EXECUTE FUNCTION wallet_movements_immutable();
CREATE TRIGGER wallet_movements_no_truncate BEFORE TRUNCATE ON wallet_movements
  FOR EACH STATEMENT EXECUTE FUNCTION wallet_movements_immutable();
