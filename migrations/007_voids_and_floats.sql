-- Counter features (API.md §6.3): a float's minimum, and voiding a mistaken
-- top-up while its session is open. A void is its own ledger transfer (caja
-- → float) and its own session movement (ANULACION); the recarga keeps its
-- sale and records who voided it, when and why.
ALTER TABLE operadoras ADD COLUMN saldo_minimo bigint NOT NULL DEFAULT 0 CHECK (saldo_minimo >= 0);

ALTER TABLE recargas_cliente
  ADD COLUMN estado text NOT NULL DEFAULT 'COMPLETADA' CHECK (estado IN ('COMPLETADA', 'ANULADA')),
  ADD COLUMN anulada_en timestamptz,
  ADD COLUMN anulada_por uuid REFERENCES users (id),
  ADD COLUMN motivo_anulacion text CHECK (length(motivo_anulacion) BETWEEN 1 AND 250),
  ADD COLUMN anulacion_transfer_id bigint UNIQUE REFERENCES ledger_transfers (id),
  ADD CONSTRAINT recargas_cliente_anulada CHECK (
    (estado = 'ANULADA') = (anulada_en IS NOT NULL)
    AND (estado = 'ANULADA') = (anulada_por IS NOT NULL)
    AND (estado = 'ANULADA') = (motivo_anulacion IS NOT NULL)
    AND (estado = 'ANULADA') = (anulacion_transfer_id IS NOT NULL)
  );

ALTER TABLE caja_movimientos DROP CONSTRAINT caja_movimientos_origen_check,
  ADD CONSTRAINT caja_movimientos_origen_check CHECK (origen IN ('MANUAL', 'RECARGA', 'INYECCION', 'APERTURA', 'AJUSTE', 'ANULACION'));
-- A top-up is voided at most once: one ANULACION movement per recarga.
CREATE UNIQUE INDEX caja_movimientos_one_void ON caja_movimientos (id_origen) WHERE origen = 'ANULACION';
-- A caja's sessions, newest first (GET /cajas/:id/sesiones).
CREATE INDEX caja_sesiones_caja_apertura_idx ON caja_sesiones (id_caja, fecha_apertura DESC, id DESC);
