import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_AMOUNT_MINOR, formatDecimal, parseDecimal, parseJsonNumber, toJsonNumber } from '../src/ledger/money.js';

const cents = fc.bigInt({ min: 0n, max: MAX_AMOUNT_MINOR });

test('decimal strings round-trip exactly through minor units', () => {
  fc.assert(
    fc.property(cents, (c) => {
      assert.equal(parseDecimal(formatDecimal(c)), c);
    }),
    { numRuns: 5000 },
  );
});

test('JSON numbers round-trip exactly: cents → number → JSON text → number → cents', () => {
  fc.assert(
    fc.property(cents, (c) => {
      const n = toJsonNumber(c);
      const back = JSON.parse(JSON.stringify(n)) as number;
      assert.equal(parseJsonNumber(back), c);
      // JSON shows the decimal itself, never a float artefact.
      assert.equal(JSON.stringify(n), formatDecimal(c).replace(/\.?0+$/, '') || '0');
    }),
    { numRuns: 5000 },
  );
});

test('more than two decimals is rejected, never rounded', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 99_999_999_999n }), fc.integer({ min: 1, max: 9 }), (whole, digit) => {
      assert.equal(parseDecimal(`${whole / 1000n}.${(whole % 1000n).toString().padStart(2, '0')}${digit}`), null);
    }),
  );
  assert.equal(parseJsonNumber(0.1 + 0.2), null);
  assert.equal(parseJsonNumber(10.555), null);
  assert.equal(parseJsonNumber(1e-7), null);
  assert.equal(parseDecimal('1.234'), null);
});

test('hostile inputs are rejected', () => {
  for (const s of ['', ' 5', '5 ', '+5', '-5', '1e3', '1E3', '0x10', 'NaN', 'Infinity', '5.', '.5', '1,00', '１', '5.0.0', '99999999999']) {
    assert.equal(parseDecimal(s), null, JSON.stringify(s));
  }
  for (const n of [NaN, Infinity, -Infinity, -1, -0.01, 1e21, Number.MAX_VALUE * 10, 10_000_000_000]) {
    assert.equal(parseJsonNumber(n), null, String(n));
  }
  fc.assert(
    fc.property(fc.string(), (s) => {
      const r = parseDecimal(s);
      if (r !== null) assert.match(s, /^\d{1,10}(\.\d{1,2})?$/);
    }),
  );
  fc.assert(
    fc.property(fc.double(), (d) => {
      const r = parseJsonNumber(d);
      if (r !== null) {
        assert.ok(d >= 0 && d <= 9_999_999_999.99);
        assert.equal(toJsonNumber(r), Object.is(d, -0) ? 0 : d);
      }
    }),
    { numRuns: 5000 },
  );
});

test('negative zero and the bounds', () => {
  assert.equal(parseJsonNumber(-0), 0n);
  assert.equal(parseJsonNumber(9_999_999_999.99), MAX_AMOUNT_MINOR);
  assert.equal(parseDecimal('9999999999.99'), MAX_AMOUNT_MINOR);
  assert.equal(parseJsonNumber(1e2), 10000n);
  assert.equal(formatDecimal(-5n), '-0.05');
  assert.equal(formatDecimal(0n), '0.00');
  assert.equal(formatDecimal(123456n), '1234.56');
});
