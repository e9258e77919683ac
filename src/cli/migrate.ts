import { loadConfig } from '../config.js';
import { migrateToLatest } from '../db/migrate.js';
import { openConfiguredDatabase } from '../runtime.js';

// `npm run migrate`: applies the pending migrations and names them.
const database = await openConfiguredDatabase(loadConfig());
try {
  const applied = await migrateToLatest(database.db as never);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already up to date');
} finally {
  await database.close();
}
