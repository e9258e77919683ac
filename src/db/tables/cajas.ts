import type { ColumnType, Generated } from 'kysely';

// Tables of the cajas feature (migration 002). Amounts are bigint cents;
// balances live in ledger_accounts, never here.

export type Especialidad = 'SOLO_VENTAS' | 'SOLO_AGENTES' | 'MIXTA';
export type EstadoSesion = 'ABIERTA' | 'CERRADA';
export type TipoMovimiento = 'INGRESO' | 'EGRESO';
export type OrigenMovimiento = 'MANUAL' | 'RECARGA' | 'INYECCION' | 'APERTURA' | 'AJUSTE' | 'ANULACION';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

interface Movimiento {
  id_caja: number;
  id_sesion_caja: number | null;
  tipo: TipoMovimiento;
  monto: bigint;
  motivo: string;
  origen: OrigenMovimiento;
  id_origen: number | null;
  transfer_id: bigint | null;
  fecha: Timestamp;
}

export interface CajasTables {
  cajas: {
    id: Generated<number>;
    nombre: string;
    especialidad: Generated<Especialidad>;
    estado: Generated<boolean>;
    account_id: bigint;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  caja_sesiones: {
    id: Generated<number>;
    id_caja: number;
    id_usuario: string;
    estado_sesion: Generated<EstadoSesion>;
    monto_inicial: bigint;
    total_ingresos: Generated<bigint>;
    total_egresos: Generated<bigint>;
    monto_final_teorico: bigint | null;
    monto_final_real: bigint | null;
    diferencia: bigint | null;
    fecha_apertura: Timestamp;
    fecha_cierre: Date | null;
    observacion: string | null;
    /** [{denominacion, cantidad}] in cents, as counted at close. */
    conteo: ColumnType<Array<{ denominacion: string; cantidad: number }> | null, string | null, string | null>;
  };
  caja_movimientos: Movimiento & { id: Generated<number> };
  /** Every movement: the rows above and each top-up's RECARGA movement (migration 004). Read-only. */
  caja_movimientos_todos: Movimiento & { id: number };
}
