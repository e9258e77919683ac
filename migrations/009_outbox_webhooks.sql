-- Domain events (API.md §6.5): each is written by the transaction of the
-- change that caused it, so an event exists exactly when its change
-- committed. Readers (the sockets of every process, webhook delivery) go
-- through them in id order; see src/core/outbox-reader.ts for how a reader
-- never passes an id that may still commit.
CREATE TABLE outbox_events (
  id          bigserial PRIMARY KEY,
  type        text NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  -- The resource as its REST route returns it.
  data        jsonb NOT NULL,
  -- Who sees it besides Administradores and Usuarios:
  -- {"users": [uuid…], "drivers": [uuid…], "operadores": true}.
  audience    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX outbox_events_occurred_idx ON outbox_events (occurred_at);

-- A durable reader's position (webhook fan-out).
CREATE TABLE outbox_cursors (
  name    text PRIMARY KEY,
  last_id bigint NOT NULL
);

CREATE TABLE webhooks (
  id          uuid PRIMARY KEY,
  url         text NOT NULL CHECK (length(url) <= 2048),
  events      text[] NOT NULL CHECK (cardinality(events) > 0),
  description text CHECK (length(description) <= 250),
  -- whsec_ + base64 of 32 random bytes: the HMAC key, needed to sign.
  secret      text NOT NULL,
  created_by  uuid NOT NULL REFERENCES users (id),
  -- Events up to this id (the newest when it was registered) are not delivered to it.
  after_event_id bigint NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz
);

-- One delivery per webhook and event; a webhook's deliveries go out in
-- event order, the next only once the one before is delivered or failed.
CREATE TABLE webhook_deliveries (
  id               bigserial PRIMARY KEY,
  webhook_id       uuid NOT NULL REFERENCES webhooks (id),
  event_id         bigint NOT NULL,
  event_type       text NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_attempt_at  timestamptz,
  last_status_code integer,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (webhook_id, event_id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_history_idx ON webhook_deliveries (webhook_id, id DESC);
