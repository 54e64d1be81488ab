'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { formatBytes, formatDuration } = require('../index.js');

test('formatBytes', () => {
  const cases = [
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024 + 600, '11 KiB'],
    [5 * 1024 ** 3, '5 GiB'],
    [-2048, '-2 KiB'],
    [1024 ** 6, '1024 PiB'],
  ];
  for (const [n, want] of cases) assert.equal(formatBytes(n), want, `formatBytes(${n})`);
  assert.throws(() => formatBytes(NaN), TypeError);
});

test('formatDuration', () => {
  const cases = [
    [0, '0ms'],
    [999.4, '999ms'],
    [999.6, '1s'],
    [1000, '1s'],
    [61000, '1m 1s'],
    [3723000, '1h 2m'],
    [3600000 + 5000, '1h'],
    [90061000, '1d 1h'],
  ];
  for (const [ms, want] of cases) assert.equal(formatDuration(ms), want, `formatDuration(${ms})`);
  assert.throws(() => formatDuration(-1), RangeError);
});
