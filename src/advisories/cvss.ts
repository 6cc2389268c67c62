// CVSS v3.x base score from a vector string (FIRST CVSS v3.1 specification, section 7.1), for severity of imported records.

const W = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

/** CVSS v3.1 "Roundup": the smallest number with one decimal that is >= the input, robust to float error. */
function roundup(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

export function cvss3BaseScore(vector: string): number | null {
  const m = /^CVSS:3\.[01]\/(.+)$/.exec(vector.trim());
  if (!m) return null;
  const v: Record<string, string> = {};
  for (const part of m[1]!.split('/')) {
    const [k, val] = part.split(':');
    if (k && val) v[k] = val;
  }
  const av = W.AV[v.AV as keyof typeof W.AV];
  const ac = W.AC[v.AC as keyof typeof W.AC];
  const ui = W.UI[v.UI as keyof typeof W.UI];
  const c = W.CIA[v.C as keyof typeof W.CIA];
  const i = W.CIA[v.I as keyof typeof W.CIA];
  const a = W.CIA[v.A as keyof typeof W.CIA];
  const scope = v.S;
  if (
    [av, ac, ui, c, i, a].some((x) => x === undefined) ||
    (scope !== 'U' && scope !== 'C') ||
    !['N', 'L', 'H'].includes(v.PR ?? '')
  )
    return null;
  const pr = v.PR === 'N' ? 0.85 : v.PR === 'L' ? (scope === 'C' ? 0.68 : 0.62) : scope === 'C' ? 0.5 : 0.27;
  const iss = 1 - (1 - c!) * (1 - i!) * (1 - a!);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability = 8.22 * av! * ac! * pr * ui!;
  if (impact <= 0) return 0;
  return scope === 'U'
    ? roundup(Math.min(impact + exploitability, 10))
    : roundup(Math.min(1.08 * (impact + exploitability), 10));
}

/** Qualitative rating (CVSS v3.1 section 5). */
export function severityOfScore(score: number): 'low' | 'medium' | 'high' | 'critical' | null {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return null;
}
