import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { generateApiTypes, SCHEMA_FILE } from '../scripts/gen-api.js';

// The web console's typed client (web/src/api/schema.d.ts) is generated from
// the OpenAPI document the service serves. If a route's schema changes, this
// fails until `npm run gen:api` is run and the console is typechecked again.
test('web console API types match the OpenAPI document', async () => {
  const fresh = await generateApiTypes();
  const committed = readFileSync(SCHEMA_FILE, 'utf8');
  assert.ok(
    fresh === committed,
    'web/src/api/schema.d.ts is out of date with the API: run `npm run gen:api`, then `npm run typecheck` (the console must still compile).',
  );
});
