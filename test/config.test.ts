import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

test('configuration: defaults, and one clear line naming a bad variable', () => {
  const c = loadConfig({});
  assert.equal(c.PORT, 3000);
  assert.equal(c.HOST, '0.0.0.0');
  assert.equal(c.DATA_DIR, './data');
  assert.equal(c.JWT_ACCESS_TTL, 900);
  assert.equal(c.DEFAULT_CURRENCY, 'CUP');
  assert.equal(c.API_PREFIX, '');
  assert.equal(c.EMBEDDED_SHARED_BUFFERS, '32MB');
  assert.equal(c.SHUTDOWN_TIMEOUT_MS, 10_000);
  assert.equal(c.DB_PREPARED_STATEMENTS, true);
  assert.equal(c.METRICS_TOKEN, undefined);
  assert.deepEqual(c.corsOrigins, []);
  assert.equal(loadConfig({ JWT_ACCESS_TTL: '15m' }).JWT_ACCESS_TTL, 900);
  assert.deepEqual(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example' }).corsOrigins, ['https://a.example', 'https://b.example']);
  for (const [name, value] of [
    ['PORT', 'abc'],
    ['DATABASE_URL', 'mysql://x'],
    ['JWT_SECRET', 'short'],
    ['JWT_ACCESS_TTL', '2'],
    ['ADMIN_EMAIL', 'not-an-email'],
    ['API_PREFIX', 'api'],
    ['DEFAULT_CURRENCY', 'cup'],
    ['LOG_LEVEL', 'loud'],
    ['EMBEDDED_SHARED_BUFFERS', "32MB'; drop table x; --"],
    ['METRICS_TOKEN', 'short'],
    ['SHUTDOWN_TIMEOUT_MS', '-1'],
    ['DB_PREPARED_STATEMENTS', 'no'],
  ]) {
    assert.throws(
      () => loadConfig({ [name!]: value, ...(name === 'ADMIN_EMAIL' ? { ADMIN_PASSWORD: 'long-enough' } : {}) }),
      (err) => err instanceof ConfigError && err.message.startsWith(`Invalid environment variable ${name}:`) && !err.message.includes('\n'),
      name,
    );
  }
  assert.throws(() => loadConfig({ ADMIN_EMAIL: 'a@b.co' }), /ADMIN_PASSWORD/);
  // The service's own default admin address is a valid ADMIN_EMAIL.
  assert.equal(loadConfig({ ADMIN_EMAIL: 'admin@localhost', ADMIN_PASSWORD: 'long-enough' }).ADMIN_EMAIL, 'admin@localhost');
  assert.deepEqual(loadConfig({ CORS_ORIGINS: 'https://pos.example.com/' }).corsOrigins, ['https://pos.example.com']);
  assert.throws(() => loadConfig({ CORS_ORIGINS: '*' }), /CORS_ORIGINS/);
  assert.equal(loadConfig({ JWT_REFRESH_TTL: '30d' }).JWT_REFRESH_TTL, 30 * 86400);
  assert.equal(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY, true);
  assert.equal(loadConfig({}).TRUST_PROXY, false);
});
