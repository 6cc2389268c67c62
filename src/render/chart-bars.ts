// Horizontal bars with a label each, optionally in groups with a heading (kernels by family): data in, SVG text out.
import { scaleLinear } from 'd3-scale';
import { fillDefs, fillOf, type FillName } from './chart-fills.js';
import { el, fit, link, safeId, svgRoot, text, textWidth, tip } from './svg.js';

export interface Bar {
  label: string;
  n: number;
  href?: string;
  fill?: FillName;
  /** Said in the tooltip and the text alternative after the count. */
  note?: string;
}

export interface BarsData {
  id: string;
  title: string;
  groups: { heading?: string; bars: Bar[] }[];
  unit: string;
  /** Labels in monospace (kernel releases, CVE ids): exact widths, never wrapped. */
  mono?: boolean;
  /** Label above the bar instead of beside it (long action titles). */
  labelAbove?: boolean;
  width?: number;
  /** Rows beyond this are summed into "N more" (said, not hidden). */
  maxBars?: number;
}

const ROW = 24;
const ROW_ABOVE = 36;
const HEAD = 22;

export function barsSummary(d: BarsData): string {
  const parts = d.groups.flatMap((g) =>
    g.bars.map(
      (b) => `${g.heading ? `${g.heading} ` : ''}${b.label}: ${b.n} ${d.unit}${b.note ? `, ${b.note}` : ''}`,
    ),
  );
  return parts.length ? `${d.title}. ${parts.join('; ')}.` : `${d.title}: none.`;
}

/** Keeps the first maxBars bars across groups, and says how many rows and units were left out. */
function limitBars(d: BarsData): { groups: BarsData['groups']; more: { rows: number; n: number } } {
  const max = d.maxBars ?? Infinity;
  let kept = 0;
  const more = { rows: 0, n: 0 };
  const groups = d.groups
    .map((g) => {
      const bars = g.bars.filter((b) => {
        if (kept < max) return ++kept > 0;
        more.rows++;
        more.n += b.n;
        return false;
      });
      return { ...g, bars };
    })
    .filter((g) => g.bars.length);
  return { groups, more };
}

export function renderBars(d: BarsData): string {
  const width = d.width ?? 600;
  const prefix = safeId(d.id);
  const { groups, more } = limitBars(d);
  const all = groups.flatMap((g) => g.bars);
  const size = 12;
  const labelW = d.labelAbove
    ? 0
    : Math.min(width * 0.55, Math.max(40, ...all.map((b) => textWidth(b.label, size, d.mono) + 12)));
  const max = Math.max(1, ...all.map((b) => b.n));
  const countW = textWidth(String(max), 12) + 10;
  const x = scaleLinear()
    .domain([0, max])
    .range([labelW, width - countW]);
  const row = d.labelAbove ? ROW_ABOVE : ROW;
  const font = d.mono ? { 'font-family': 'Liberation Mono, monospace' } : {};
  const out: string[] = [];
  let y = 4;
  for (const g of groups) {
    if (g.heading) {
      out.push(text({ x: 0, y: y + 15, 'font-weight': 'bold' }, g.heading));
      y += HEAD;
    }
    for (const b of g.bars) {
      const fill = b.fill ?? 'neutral';
      const words = `${g.heading ? `${g.heading} ` : ''}${b.label}: ${b.n} ${d.unit}${b.note ? ` (${b.note})` : ''}`;
      const barY = d.labelAbove ? y + 16 : y + 3;
      const barH = d.labelAbove ? 14 : 16;
      const w = Math.max(x(b.n) - x(0), b.n > 0 ? 2 : 0);
      const label = d.labelAbove
        ? text({ x: 0, y: y + 12, ...font }, fit(b.label, width - 4, size, d.mono))
        : text(
            { x: labelW - 8, y: y + 15, 'text-anchor': 'end', ...font },
            fit(b.label, labelW - 10, size, d.mono),
          );
      out.push(
        link(
          b.href,
          el(
            'g',
            { class: 'bar' },
            tip(words),
            label,
            el('rect', { x: x(0), y: barY, width: w, height: barH, fill: fillOf(prefix, fill) }),
            text({ x: x(0) + w + 4, y: barY + barH - 3, 'font-size': 12 }, String(b.n)),
          ),
        ),
      );
      y += row;
    }
  }
  const note = more.rows
    ? `… ${more.rows} more, ${more.n} ${d.unit} (see the table)`
    : all.length
      ? ''
      : `No ${d.unit}.`;
  if (note) {
    out.push(text({ x: labelW, y: y + 14, fill: '#5f6b76' }, note));
    y += row;
  }
  return svgRoot(
    { id: d.id, width, height: y + 4, title: d.title, desc: barsSummary(d) },
    fillDefs(
      prefix,
      all.map((b) => b.fill ?? 'neutral'),
    ),
    ...out,
  );
}
