/** Human output: aligned tables and CSV. Machine output is --json. */

export type Cell = string | number | boolean | null | undefined;

/** Renders rows as a left-aligned text table with a header rule; numbers are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => r.map(show));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)].join('\n') + '\n';
}

/** RFC 4180 CSV. */
export function csv(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const esc = (c: Cell) => {
    const s = show(c);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [headers.map(esc).join(','), ...rows.map((r) => r.map(esc).join(','))].join('\n') + '\n';
}

function show(c: Cell): string {
  if (c === null || c === undefined) return '';
  return String(c);
}
