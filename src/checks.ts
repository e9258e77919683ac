import { cajasChecks } from './cajas/cajas.checks.js';
import { ledgerChecks, type VerifyCheck } from './ledger/verify.js';
import { recargasChecks } from './recargas/recargas.checks.js';
import { walletChecks } from './wallets/wallets.checks.js';

// Every integrity check `GET /ledger/verify` and `npm run verify` run.
// Features add their own (session totals, business records ↔ transfers).
export const allChecks: VerifyCheck[] = [...ledgerChecks, ...cajasChecks, ...recargasChecks, ...walletChecks];
