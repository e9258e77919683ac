// What a person at the counter reads when something is refused: plain
// Spanish, chosen by the API's error code (never an HTTP status or a field
// name). Validation problems name the field in words.

const BY_CODE: Record<string, string> = {
  INVALID_CREDENTIALS: 'Correo o contraseña incorrectos.',
  LOGIN_THROTTLED: 'Demasiados intentos fallidos. Espere unos minutos antes de volver a intentar.',
  UNAUTHORIZED: 'Su sesión terminó. Ingrese de nuevo.',
  FORBIDDEN: 'Su usuario no tiene permiso para hacer esto.',
  NOT_FOUND: 'No se encontró lo que busca.',
  OPERATOR_INSUFFICIENT_BALANCE: 'La operadora no tiene saldo suficiente para esta recarga. Pida una inyección de saldo.',
  OPERATOR_NOT_FOUND: 'La operadora no existe.',
  SESSION_CLOSED: 'La caja ya está cerrada: no admite más movimientos.',
  SESSION_NOT_OWNED: 'Esta caja la atiende otro cajero.',
  SESSION_NOT_FOUND: 'La sesión de caja no existe.',
  NO_OPEN_SESSION: 'No tiene una caja abierta.',
  INSUFFICIENT_CASH: 'No hay suficiente efectivo en la caja para esto.',
  CAJA_NOT_FOUND: 'La caja no existe.',
  CAJA_INACTIVE: 'La caja está desactivada.',
  CAJA_HAS_OPEN_SESSION: 'Esa caja ya tiene una sesión abierta. Ciérrela primero.',
  USER_HAS_OPEN_SESSION: 'Usted ya tiene otra caja abierta. Ciérrela primero.',
  ALREADY_ANNULLED: 'Esta recarga ya fue anulada.',
  RECARGA_NOT_FOUND: 'La recarga no existe.',
  IDEMPOTENCY_REQUEST_IN_FLIGHT: 'La operación anterior todavía se está procesando. Espere un momento.',
  IDEMPOTENCY_KEY_REUSED: 'Los datos cambiaron desde el intento anterior. Revise y vuelva a enviar.',
  OVERLOADED: 'El servidor está muy ocupado. Intente de nuevo en un momento.',
  SERVICE_STARTING: 'El servidor está arrancando. Intente de nuevo en un momento.',
  SHUTTING_DOWN: 'El servidor se está reiniciando. Intente de nuevo en un momento; no se registró nada.',
  LAST_ADMIN: 'No se puede desactivar ni quitar el rol al último administrador.',
  EMAIL_TAKEN: 'Ya existe un usuario con ese correo.',
  USER_NOT_FOUND: 'El usuario no existe.',
  PAYLOAD_TOO_LARGE: 'Los datos enviados son demasiado grandes.',
  INVALID_JSON: 'Los datos enviados no son válidos.',
  JSON_TOO_DEEP: 'Los datos enviados no son válidos.',
  WALLET_NOT_FOUND: 'El conductor no tiene billetera.',
  WALLET_BLOCKED: 'La billetera está bloqueada: no admite débitos.',
  INSUFFICIENT_FUNDS: 'El saldo de la billetera no alcanza para este débito.',
  DRIVER_NOT_FOUND: 'El conductor no existe.',
  COLLECTION_POINT_NOT_FOUND: 'El punto de cobro no existe.',
  COLLECTION_POINT_INACTIVE: 'El punto de cobro está desactivado.',
  CCR_NOT_FOUND: 'La recarga en efectivo no existe.',
  CCR_ALREADY_COMPLETED: 'Esta recarga en efectivo ya fue confirmada.',
  CCR_ALREADY_CANCELLED: 'Esta recarga en efectivo fue cancelada.',
  CURRENCY_MISMATCH: 'La moneda no es la de la billetera.',
  NOT_POINT_STAFF: 'Este punto de cobro lo atienden otros cajeros.',
  INVALID_STAFF: 'El personal de un punto de cobro son cajeros (Operadores).',
  INVALID_COLLECTOR: 'Quien cobra debe ser un cajero o administrador activo.',
  CONFLICT: 'La operación no se puede hacer en el estado actual.',
};

/** Field names as a person calls them. */
export const FIELD_LABELS: Record<string, string> = {
  numero_cliente: 'número de teléfono',
  monto: 'monto',
  monto_inicial: 'monto inicial',
  monto_final_real: 'efectivo contado',
  motivo: 'motivo',
  operadora: 'operadora',
  operadora_destino: 'operadora',
  id_caja_sesion: 'sesión de caja',
  id_sesion_caja: 'sesión de caja',
  id_caja: 'caja',
  nombre: 'nombre',
  nombres: 'nombres',
  email: 'correo',
  password: 'contraseña',
  role: 'rol',
  observacion: 'observación',
  conteo: 'conteo',
  saldo: 'saldo inicial',
  saldo_minimo: 'saldo mínimo',
  amount: 'monto',
  reason: 'motivo',
  comment: 'comentario',
  notes: 'nota',
  description: 'descripción',
  name: 'nombre',
  collectionPointId: 'punto de cobro',
  collectedByUserId: 'cajero',
  buscar: 'búsqueda',
  from: 'fecha desde',
  to: 'fecha hasta',
};

export const fieldLabel = (field: string) => FIELD_LABELS[field] ?? field;

/** The sentence for an error code; `fields` are the fields a validation refused. */
export function messageFor(code: string | undefined, status: number, fields: string[] = []): string {
  if (code === 'VALIDATION_ERROR' || code === 'BAD_REQUEST' || (!code && status === 400)) {
    const named = [...new Set(fields.map(fieldLabel))];
    return named.length ? `Revise ${named.length > 1 ? 'estos datos' : 'este dato'}: ${named.join(', ')}.` : 'Revise los datos ingresados.';
  }
  if (code && BY_CODE[code]) return BY_CODE[code];
  if (status === 0) return 'Sin conexión con el servidor.';
  if (status >= 500) return 'El servidor tuvo un problema. Intente de nuevo.';
  if (status === 401) return BY_CODE.UNAUTHORIZED!;
  if (status === 403) return BY_CODE.FORBIDDEN!;
  if (status === 404) return BY_CODE.NOT_FOUND!;
  return 'No se pudo completar la operación.';
}
