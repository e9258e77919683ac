import { allChecks } from '../checks.js';
import { loadConfig } from '../config.js';
import { openMigratedDatabase } from '../db/database.js';
import { databaseOptions } from '../runtime.js';
import { runVerify } from '../ledger/verify.js';

// `npm run verify`: the same report as GET /ledger/verify; exit 1 when not ok.
const config = loadConfig();
const database = await openMigratedDatabase(databaseOptions(config));
try {
  const report = await runVerify(database.db, allChecks);
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = report.ok ? 0 : 1;
} finally {
  await database.close();
}
