// The fills of the charts: a colour and a pattern each, so a chart read in grey scale or by a colour-blind reader
// still tells its parts apart (WCAG 2.2, 1.4.1 Use of Color).
import { el } from './svg.js';

/** Named by what they mean, not how they look: the fleet maps its verdicts and severities onto these. */
export const FILLS = {
  good: { colour: '#2e7d32', pattern: 'solid', ink: '#fff' },
  warn: { colour: '#c77700', pattern: 'stripes', ink: '#000' },
  bad: { colour: '#b3261e', pattern: 'cross', ink: '#fff' },
  unknown: { colour: '#8a96a3', pattern: 'dots', ink: '#000' },
  absent: { colour: '#e4e8ec', pattern: 'solid', ink: '#000' },
  critical: { colour: '#7f0000', pattern: 'cross', ink: '#fff' },
  high: { colour: '#b3261e', pattern: 'stripes', ink: '#fff' },
  medium: { colour: '#c77700', pattern: 'dots', ink: '#000' },
  low: { colour: '#5f7d95', pattern: 'solid', ink: '#fff' },
  neutral: { colour: '#1f5f9e', pattern: 'solid', ink: '#fff' },
} as const;
export type FillName = keyof typeof FILLS;

const pid = (prefix: string, f: FillName) => `${prefix}-fill-${f}`;

/** The pattern definitions a chart uses, with ids under its own prefix (several charts share one page). */
export function fillDefs(prefix: string, names: Iterable<FillName>): string {
  const out: string[] = [];
  for (const n of new Set(names)) {
    const f = FILLS[n];
    if (f.pattern === 'solid') continue;
    const ink = f.ink === '#fff' ? '#ffffff' : '#000000';
    const marks =
      f.pattern === 'stripes'
        ? el('path', {
            d: 'M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2',
            stroke: ink,
            'stroke-width': 1.4,
            opacity: 0.55,
          })
        : f.pattern === 'cross'
          ? el('path', { d: 'M0,0 L6,6 M6,0 L0,6', stroke: ink, 'stroke-width': 1.1, opacity: 0.6 })
          : el('circle', { cx: 3, cy: 3, r: 1.2, fill: ink, opacity: 0.6 });
    out.push(
      el(
        'pattern',
        { id: pid(prefix, n), width: 6, height: 6, patternUnits: 'userSpaceOnUse' },
        el('rect', { width: 6, height: 6, fill: f.colour }),
        marks,
      ),
    );
  }
  return out.length ? el('defs', {}, ...out) : '';
}

/** The fill attribute of a shape: a plain colour, or its pattern (which paints the colour under the marks). */
export const fillOf = (prefix: string, n: FillName): string =>
  FILLS[n].pattern === 'solid' ? FILLS[n].colour : `url(#${pid(prefix, n)})`;

/** Text drawn on a fill: white on dark, black on light. */
export const inkOn = (n: FillName): string => FILLS[n].ink;
