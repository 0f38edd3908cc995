/** Plain-text output shared by the benchmarks: aligned columns and the number formats of their reports. */

/** Rows of cells as columns padded to the widest cell, two spaces apart. */
function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => String(cell ?? '').padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Seconds in s, ms or us. */
const fmtS = (s) =>
  s == null
    ? 'n/a'
    : s >= 1
      ? `${s.toFixed(3)} s`
      : s >= 1e-3
        ? `${(s * 1e3).toFixed(2)} ms`
        : `${(s * 1e6).toFixed(1)} us`;

const fmtRatio = (x) => (x == null ? 'n/a' : x >= 1 ? `${x.toFixed(2)}x` : `${x.toPrecision(3)}x`);

module.exports = { table, fmtS, fmtRatio };
