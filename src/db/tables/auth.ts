import type { ColumnType, Generated } from 'kysely';

export type Role = 'Administrador' | 'Operador' | 'Usuario' | 'Conductor';
export const ROLES = ['Administrador', 'Operador', 'Usuario', 'Conductor'] as const satisfies readonly Role[];

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface AuthTables {
  users: {
    id: string;
    email: string;
    password_hash: string;
    nombres: string;
    role: Role;
    activo: Generated<boolean>;
    p_apellido: string | null;
    s_apellido: string | null;
    /** A date: read as text (YYYY-MM-DD), never through a time zone. */
    fecha_nacimiento: ColumnType<string | null, string | null | undefined, string | null>;
    genero: 'M' | 'F' | 'O' | null;
    created_at: Timestamp;
    updated_at: Timestamp;
  };
  auth_sessions: {
    id: string;
    user_id: string;
    created_at: Timestamp;
    expires_at: Timestamp;
    revoked_at: Date | null;
    revoked_reason: string | null;
  };
  refresh_tokens: {
    token_hash: string;
    session_id: string;
    created_at: Timestamp;
    used_at: Date | null;
  };
  login_failures: {
    id: Generated<bigint>;
    email: string;
    ip: string;
    at: Timestamp;
  };
}
