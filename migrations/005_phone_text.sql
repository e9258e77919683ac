-- A driver's telefono and a collection point's contactPhone are free text
-- as far as API.md §0 goes (≤ 255 characters, nothing stated otherwise);
-- 003 capped them at 50, refusing what a client of the contract may send.
ALTER TABLE drivers DROP CONSTRAINT drivers_telefono_check,
  ADD CONSTRAINT drivers_telefono_check CHECK (length(telefono) <= 255);
ALTER TABLE cash_collection_points DROP CONSTRAINT cash_collection_points_contact_phone_check,
  ADD CONSTRAINT cash_collection_points_contact_phone_check CHECK (length(contact_phone) <= 255);
