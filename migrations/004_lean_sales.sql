-- A top-up writes less: it was the statement every batch of sales waits on
-- (see README, Performance).
--
-- 1. A top-up's session movement is no longer a row of its own that repeats
--    the recarga. The recarga carries the movement's id (drawn from the same
--    sequence as every other movement, so a session's movements keep one
--    chronological id order), and caja_movimientos_todos shows it as the
--    RECARGA movement it always was. Top-ups sold before this migration keep
--    their stored movement row and no movimiento_id: nothing is rewritten.
ALTER TABLE recargas_cliente ADD COLUMN movimiento_id integer;

CREATE VIEW caja_movimientos_todos AS
SELECT m.id, m.id_caja, m.id_sesion_caja, m.tipo, m.monto, m.motivo, m.origen, m.id_origen, m.transfer_id, m.fecha
  FROM caja_movimientos m
UNION ALL
SELECT r.movimiento_id, s.id_caja, r.id_caja_sesion, 'INGRESO', r.monto,
       'Recarga ' || o.nombre_operadora || ' ' || r.numero_cliente, 'RECARGA', r.id, r.transfer_id, r.fecha_hora
  FROM recargas_cliente r
  JOIN caja_sesiones s ON s.id = r.id_caja_sesion
  JOIN operadoras o ON o.id = r.id_operadora
 WHERE r.movimiento_id IS NOT NULL;

-- 2. Two indexes no query reads: transfers were never looked up by their
--    reference (verify scans), and a unique index over pending_id held a
--    NULL entry for every transfer that is not a resolution. Each resolution
--    still names its pending transfer at most once.
DROP INDEX ledger_transfers_ref_idx;
ALTER TABLE ledger_transfers DROP CONSTRAINT ledger_transfers_pending_id_key;
CREATE UNIQUE INDEX ledger_transfers_pending_once ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;
