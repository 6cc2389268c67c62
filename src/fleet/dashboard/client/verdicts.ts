// How a runtime verdict looks in a cell: a symbol and a class (colour and pattern), so grey scale still reads it.
export const VERDICT_LOOK: Record<string, { symbol: string; label: string }> = {
  ready: { symbol: '✓', label: 'ready' },
  degraded: { symbol: '!', label: 'degraded (runs at high risk)' },
  blocked: { symbol: '✕', label: 'blocked (cannot run)' },
  unknown: { symbol: '?', label: 'unknown' },
  'not-installed': { symbol: '–', label: 'not installed' },
  'not-reported': { symbol: '·', label: 'not in the report' },
};

export const look = (v: string | undefined) =>
  VERDICT_LOOK[v ?? 'not-reported'] ?? VERDICT_LOOK['not-reported']!;
