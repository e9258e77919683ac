-- A collection point may name its staff (API.md §6.4): when it does, only
-- those Operadores (and any Administrador) record cash top-ups there.
CREATE TABLE collection_point_staff (
  point_id uuid NOT NULL REFERENCES cash_collection_points (id),
  user_id  uuid NOT NULL REFERENCES users (id),
  PRIMARY KEY (point_id, user_id)
);
CREATE INDEX collection_point_staff_user_idx ON collection_point_staff (user_id);

-- The supervisor's queue filters and sums by point and status.
CREATE INDEX cash_collection_records_point_status_idx ON cash_collection_records (collection_point_id, status, created_at);
CREATE INDEX cash_collection_records_status_created_idx ON cash_collection_records (status, created_at);
