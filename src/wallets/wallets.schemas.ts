import { z } from 'zod';
import { timestamp, walletAmount, walletLimit, walletMoney as money } from '../core/money.schemas.js';
import { pageMetaSchema, pageQuery } from '../core/pagination.js';
import { fromDate, nonEmptyText, text, toDate, uuidV4, wellFormed, type UpperBound } from '../core/schemas.js';
import { DEBIT_TYPES } from '../db/tables/wallets.js';

// Request and response schemas of the wallet family (API.md §4). Amounts go
// in as decimal strings and come out as decimal strings with two decimals
// (the money codecs); inside they are bigint cents. The domain types are the
// response schemas' output.

const METADATA_MAX_BYTES = 4096;

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000') || !wellFormed(value);
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([k, v]) => hasNul(k) || hasNul(v));
  }
  return false;
}

/** Free-form JSON object, ≤ 4 KiB serialized, no NUL anywhere (PostgreSQL jsonb cannot hold one). */
export const metadata = z
  .record(z.string(), z.unknown())
  .refine((m) => !Array.isArray(m), 'must be an object')
  .refine((m) => Buffer.byteLength(JSON.stringify(m), 'utf8') <= METADATA_MAX_BYTES, 'must be at most 4 KiB as JSON')
  .refine((m) => !hasNul(m), 'must not contain NUL characters or lone surrogates')
  .meta({ description: 'Free-form JSON object, at most 4 KiB serialized', example: { source: 'window-3' } });

export const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code, e.g. "CUP"');

// ---- envelope ----

export const walletErrorSchema = z
  .object({
    success: z.literal(false),
    message: z.string(),
    error: z.object({ code: z.string(), details: z.unknown().optional() }),
  })
  .meta({ id: 'WalletError' });

export const envelope = <T extends z.ZodType>(data: T) =>
  z.object({ success: z.literal(true), message: z.string(), data });

export const pagedEnvelope = <T extends z.ZodType>(item: T) =>
  z.object({ success: z.literal(true), message: z.string(), data: z.array(item), meta: pageMetaSchema });

export const errorResponses = {
  400: walletErrorSchema,
  401: walletErrorSchema,
  403: walletErrorSchema,
  404: walletErrorSchema,
  409: walletErrorSchema,
  422: walletErrorSchema,
};

// ---- query helpers ----

const sortBy = z.enum(['createdAt', 'amount']).default('createdAt');
const sortDir = z.enum(['asc', 'desc']).default('desc');

const rangeOk = (q: { from?: Date; to?: UpperBound }) => !q.from || !q.to || q.from.getTime() <= q.to.at.getTime();
const rangeIssue = { message: '`from` must not be after `to`', path: ['from'] };

// ---- drivers ----

export const driverIdParams = z.object({ driverId: uuidV4 });
export const idParams = z.object({ id: uuidV4 });
export const walletIdParams = z.object({ walletId: uuidV4 });
export const ccrIdParams = z.object({ ccrId: uuidV4 });

export const createDriverBody = z
  .object({
    nombre: nonEmptyText(255),
    telefono: nonEmptyText(255).optional(),
    email: z.email().max(255).optional(),
    password: text(1024).min(8, 'at least 8 characters').optional(),
    allowedNegativeLimit: walletLimit
      .optional()
      .meta({ description: 'How far below zero debits may take the wallet (default "0.00")' }),
  })
  .refine((b) => b.password === undefined || b.email !== undefined, {
    message: 'a password needs an email to log in with',
    path: ['password'],
  });

export const driverSchema = z
  .object({
    id: z.uuid(),
    nombre: z.string(),
    telefono: z.string().nullable(),
    email: z.string().nullable(),
    walletId: z.uuid(),
    userId: z.uuid().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'Driver' });
export type Driver = z.output<typeof driverSchema>;

export const listDriversQuery = z.object({
  ...pageQuery(50, 100),
  search: text(255).optional().meta({ description: 'Matches nombre, email or telefono (case-insensitive)' }),
});

// ---- collection points ----

const staffUserIds = z
  .array(uuidV4)
  .max(200)
  .meta({ description: 'The Operadores who staff the point: when not empty, only they (and any Administrador) record cash top-ups there' });

export const createPointBody = z.object({
  name: nonEmptyText(255),
  address: text(255).optional(),
  contactPhone: text(255).optional(),
  isActive: z.boolean().optional(),
  staffUserIds: staffUserIds.optional(),
});

export const updatePointBody = z.object({
  name: nonEmptyText(255).optional(),
  address: text(255).nullable().optional(),
  contactPhone: text(255).nullable().optional(),
  isActive: z.boolean().optional(),
  staffUserIds: staffUserIds.optional(),
});

export const pointSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    address: z.string().nullable(),
    contactPhone: z.string().nullable(),
    isActive: z.boolean(),
    staffUserIds: z.array(z.uuid()),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'CashCollectionPoint' });
export type CollectionPoint = z.output<typeof pointSchema>;

export const listPointsQuery = z.object({
  ...pageQuery(50, 100),
  isActive: z.enum(['true', 'false']).transform((s) => s === 'true').optional(),
  usableBy: uuidV4.optional().meta({ description: 'Only the points where this user may record cash top-ups (no staff named, or them among it)' }),
});

// ---- top-ups ----

export const createTopupBody = z.object({
  collectionPointId: uuidV4,
  collectedByUserId: uuidV4,
  amount: walletAmount,
  currency: currency.optional().meta({ description: 'ISO 4217; defaults to the wallet\'s currency (wallets are created in DEFAULT_CURRENCY, "CUP" unless configured)' }),
  notes: text(250).optional(),
  description: text(250).optional(),
  metadata: metadata.optional(),
});

export const confirmTopupBody = z.object({ comment: text(500).optional() }).nullish();
export const cancelTopupBody = z.object({ reason: nonEmptyText(250) });

export const topupSchema = z
  .object({
    cashCollectionRecordId: z.uuid(),
    transactionId: z.uuid(),
    driverId: z.uuid(),
    walletId: z.uuid(),
    status: z.enum(['pending', 'completed', 'cancelled']),
    currency: z.string(),
    amount: money,
    collectionPointId: z.uuid(),
    collectedByUserId: z.uuid(),
    notes: z.string().nullable(),
    description: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    createdAt: timestamp,
    createdByUserId: z.uuid(),
    confirmedAt: timestamp.nullable(),
    confirmedByUserId: z.uuid().nullable(),
    comment: z.string().nullable(),
    cancelledAt: timestamp.nullable(),
    cancelledByUserId: z.uuid().nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'CashTopup' });
export type Topup = z.output<typeof topupSchema>;

/** A top-up as lists show it: with the names of who and where, and the confirm comment and cancel reason apart from the notes. */
export const topupListItemSchema = topupSchema
  .extend({
    driverName: z.string(),
    collectionPointName: z.string(),
    collectedByName: z.string(),
    resolvedByName: z.string().nullable().meta({ description: 'Who confirmed or cancelled it' }),
    confirmComment: z.string().nullable(),
    cancelReason: z.string().nullable(),
  })
  .meta({ id: 'CashTopupListItem' });
export type TopupListItem = z.output<typeof topupListItemSchema>;

export const topupListMeta = pageMetaSchema.extend({
  totalAmount: money.meta({
    type: 'string',
    description: 'Sum of the filtered records (decimal string); with several currencies among them, read byCollectionPoint',
  }),
  byCollectionPoint: z
    .array(z.object({ collectionPointId: z.uuid(), collectionPointName: z.string(), currency: z.string(), count: z.number(), totalAmount: money }))
    .meta({ description: 'The filtered records per point and currency: how many, and their sum' }),
});

export const confirmedTopupSchema = topupSchema
  .extend({ status: z.literal('completed'), previousBalance: money, newBalance: money, confirmedAt: timestamp, confirmedByUserId: z.uuid() })
  .meta({ id: 'ConfirmedCashTopup' });
export type ConfirmedTopup = z.output<typeof confirmedTopupSchema>;

export const listTopupsQuery = z
  .object({
    ...pageQuery(),
    status: z.enum(['pending', 'completed', 'cancelled']).optional(),
    driverId: uuidV4.optional(),
    collectionPointId: uuidV4.optional(),
    collectedByUserId: uuidV4.optional(),
    from: fromDate.optional(),
    to: toDate.optional(),
    sortBy,
    sortDir,
  })
  .refine(rangeOk, rangeIssue);

// ---- balances, movements, debits ----

export const balanceSchema = z
  .object({
    id: z.uuid(),
    driverId: z.uuid(),
    status: z.enum(['active', 'blocked']),
    currency: z.string(),
    currentWalletBalance: money,
    pendingTopupsAmount: money,
    allowedNegativeLimit: money,
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'WalletBalance' });
export type WalletBalance = z.output<typeof balanceSchema>;

export const movementSchema = z
  .object({
    id: z.uuid(),
    walletId: z.uuid(),
    transactionId: z.uuid(),
    type: z.enum(['cash_topup', ...DEBIT_TYPES]),
    amount: money.meta({ type: 'string', example: '-25.00', description: 'Signed: credits positive, debits negative' }),
    previousBalance: money,
    newBalance: money,
    note: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'WalletMovement' });
export type WalletMovement = z.output<typeof movementSchema>;

export const movementsQuery = z
  .object({
    ...pageQuery(),
    transactionId: uuidV4.optional(),
    from: fromDate.optional(),
    to: toDate.optional(),
    search: text(255).optional().meta({ description: 'Matches the note or the transaction description (case-insensitive)' }),
    sortBy,
    sortDir,
  })
  .refine(rangeOk, rangeIssue);

export const debitBody = z.object({
  amount: walletAmount,
  type: z.enum(DEBIT_TYPES),
  reference: text(255).optional(),
  note: text(255).optional(),
});

export const debitSchema = z
  .object({
    transactionId: z.uuid(),
    movementId: z.uuid(),
    type: z.enum(DEBIT_TYPES),
    amount: money,
    currency: z.string(),
    previousBalance: money,
    newBalance: money,
    reference: z.string().nullable(),
    note: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'WalletDebit' });
export type Debit = z.output<typeof debitSchema>;

// ---- status ----

export const statusChangeBody = z.object({ reason: text(250).optional(), comment: text(500).optional() }).nullish();

export const statusChangeSchema = z
  .object({
    driverId: z.uuid(),
    walletId: z.uuid(),
    previousStatus: z.enum(['active', 'blocked']),
    status: z.enum(['active', 'blocked']),
    changed: z.boolean(),
    changedAt: timestamp,
  })
  .meta({ id: 'WalletStatusChange' });
export type StatusChange = z.output<typeof statusChangeSchema>;

export const statusHistorySchema = z
  .object({
    id: z.uuid(),
    driverId: z.uuid(),
    walletId: z.uuid(),
    previousStatus: z.enum(['active', 'blocked']),
    status: z.enum(['active', 'blocked']),
    reason: z.string().nullable(),
    comment: z.string().nullable(),
    changedByUserId: z.uuid(),
    changedByName: z.string(),
    changedAt: timestamp,
  })
  .meta({ id: 'WalletStatusHistoryEntry' });
export type StatusHistoryEntry = z.output<typeof statusHistorySchema>;

export const historyQuery = z.object({ ...pageQuery(50, 100) });
