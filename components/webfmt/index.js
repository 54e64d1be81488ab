'use strict';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * formatBytes(1536) === '1.5 KiB'. Binary units; one decimal below 10 of a
 * unit, none above; negative sizes keep their sign.
 */
function formatBytes(n) {
  if (!Number.isFinite(n)) throw new TypeError(`formatBytes: ${n} is not a finite number`);
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${sign}${v} B`;
  const digits = v < 10 ? 1 : 0;
  return `${sign}${v.toFixed(digits).replace(/\.0$/, '')} ${UNITS[i]}`;
}

const STEPS = [
  ['d', 86400000],
  ['h', 3600000],
  ['m', 60000],
  ['s', 1000],
];

/**
 * formatDuration(3723000) === '1h 2m': the largest unit and the next one
 * (when not zero), rounded down; under a second, whole milliseconds.
 */
function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`formatDuration: ${ms} is not a duration`);
  let rest = Math.round(ms);
  if (rest < 1000) return `${rest}ms`;
  const parts = [];
  for (const [unit, size] of STEPS) {
    const q = Math.floor(rest / size);
    rest -= q * size;
    if (q > 0 || parts.length > 0) parts.push(q > 0 ? `${q}${unit}` : null);
    if (parts.length === 2) break;
  }
  return parts.filter(Boolean).join(' ');
}

module.exports = { formatBytes, formatDuration };
