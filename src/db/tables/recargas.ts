import type { ColumnType, Generated } from 'kysely';

// Tables of the recargas feature (migration 002). An operator's saldo_actual
// is its ledger account's posted balance.

export const OPERADORAS = ['Tigo', 'Entel', 'Viva'] as const;
export type OperadoraNombre = (typeof OPERADORAS)[number];
export type EstadoRecarga = 'COMPLETADA' | 'ANULADA';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface RecargasTables {
  operadoras: {
    id: Generated<number>;
    nombre_operadora: OperadoraNombre;
    account_id: bigint;
    saldo_minimo: Generated<bigint>;
  };
  recargas_cliente: {
    id: Generated<number>;
    id_operadora: number;
    numero_cliente: string;
    monto: bigint;
    id_caja_sesion: number;
    id_usuario: string;
    transfer_id: bigint;
    fecha_hora: Timestamp;
    /** Its RECARGA movement's id (caja_movimientos_todos); null for top-ups sold before migration 004. */
    movimiento_id: number | null;
    estado: Generated<EstadoRecarga>;
    anulada_en: Date | null;
    anulada_por: string | null;
    motivo_anulacion: string | null;
    anulacion_transfer_id: bigint | null;
  };
  inyecciones_operadora: {
    id: Generated<number>;
    id_operadora: number;
    monto: bigint;
    id_caja_sesion: number;
    id_usuario: string;
    transfer_id: bigint;
    fecha_hora: Timestamp;
  };
}
