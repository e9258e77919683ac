-- Webhook delivery by cursor. Each webhook keeps how far it has got
-- (delivered_through: every event up to it was delivered, failed for good,
-- or not subscribed), and a process holds a short lease on a webhook while
-- it sends. A delivery row is written when a send is recorded (delivered,
-- failed, or waiting to be retried), in one statement per batch, instead of
-- one row per event ahead of time: the fan-out cost a second write per sale.
ALTER TABLE webhooks
  ADD COLUMN delivered_through bigint,
  ADD COLUMN lease_owner uuid,
  ADD COLUMN lease_until timestamptz,
  -- The head is waiting for its next attempt until then.
  ADD COLUMN retry_at timestamptz;

-- Resume where the fan-out design had got: before its oldest unfinished delivery.
UPDATE webhooks w
   SET delivered_through = coalesce(
         (SELECT min(d.event_id) - 1 FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'pending'),
         (SELECT max(d.event_id) FROM webhook_deliveries d WHERE d.webhook_id = w.id),
         w.after_event_id);
ALTER TABLE webhooks ALTER COLUMN delivered_through SET NOT NULL;

DROP TABLE outbox_cursors;
