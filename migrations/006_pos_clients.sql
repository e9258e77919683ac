-- What existing POS front ends read and send (API.md §6.2, §6.3): a user's
-- persona, and what a cashier notes and counts when closing a session.
ALTER TABLE users
  ADD COLUMN p_apellido text CHECK (length(p_apellido) <= 255),
  ADD COLUMN s_apellido text CHECK (length(s_apellido) <= 255),
  ADD COLUMN fecha_nacimiento date,
  ADD COLUMN genero text CHECK (genero IN ('M', 'F', 'O'));

-- conteo: [{denominacion (cents), cantidad}], whose sum is monto_final_real.
ALTER TABLE caja_sesiones
  ADD COLUMN observacion text CHECK (length(observacion) <= 500),
  ADD COLUMN conteo jsonb CHECK (jsonb_typeof(conteo) = 'array');

-- Reports read sessions by when they were opened.
CREATE INDEX caja_sesiones_apertura_idx ON caja_sesiones (fecha_apertura);
