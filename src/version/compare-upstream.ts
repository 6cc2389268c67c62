// Upstream release versions as projects print them: "3.11.4", "2.6.1-dist", "1.2.0-rc.1", "v1.1.9", "0.31".

export interface UpstreamVersion {
  core: number[];
  /** Semver pre-release identifiers; empty for a release. */
  pre: (string | number)[];
}

/**
 * Build and distribution suffixes that do not make a pre-release: Singularity 2.x prints "2.6.1-dist"
 * (bin/singularity.in), Debian repacks add "+ds1"/"+dfsg", semver build metadata follows "+".
 */
const NOT_PRERELEASE = /^(dist|release|final|ga|stable)$/i;

const cache = new Map<string, UpstreamVersion | null>();

/** Matching compares the same few versions thousands of times: parse each once. */
export function parseUpstream(v: string): UpstreamVersion | null {
  let hit = cache.get(v);
  if (hit === undefined) {
    hit = parseUpstreamUncached(v);
    if (cache.size < 10000) cache.set(v, hit);
  }
  return hit;
}

function parseUpstreamUncached(v: string): UpstreamVersion | null {
  const s = v.trim().replace(/^v/, '');
  if (s.length === 0 || s.length > 128) return null;
  const m = /^(\d{1,9}(?:\.\d{1,9}){0,4})(?:[-~]([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.+-]*)?$/.exec(s);
  if (!m) return null;
  const core = m[1]!.split('.').map(Number);
  const tail = m[2];
  const pre: (string | number)[] = [];
  if (tail && !NOT_PRERELEASE.test(tail))
    for (const id of tail.split('.')) pre.push(/^\d+$/.test(id) ? Number(id) : id);
  return { core, pre };
}

/** Semver 2.0 precedence over a core of any length (missing components are 0). */
export function compareUpstream(a: string, b: string): number | null {
  const x = parseUpstream(a);
  const y = parseUpstream(b);
  if (!x || !y) return null;
  for (let i = 0; i < Math.max(x.core.length, y.core.length); i++) {
    const d = (x.core[i] ?? 0) - (y.core[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (x.pre.length === 0 || y.pre.length === 0)
    return x.pre.length === y.pre.length ? 0 : x.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    if (typeof p === 'number' && typeof q === 'number') return p < q ? -1 : 1;
    if (typeof p === 'number') return -1;
    if (typeof q === 'number') return 1;
    // Projects number release candidates "rc9", "rc10" (runc 1.0.0-rc10 follows rc9): compare digit runs
    // as numbers, where strict semver would compare the identifiers as text.
    const d = naturalCompare(p, q);
    if (d !== 0) return d;
  }
  return 0;
}

function naturalCompare(a: string, b: string): number {
  const x = a.match(/\d+|\D+/g) ?? [];
  const y = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const np = /^\d/.test(p);
    const nq = /^\d/.test(q);
    if (np && nq && Number(p) !== Number(q)) return Number(p) < Number(q) ? -1 : 1;
    if (np !== nq) return np ? -1 : 1;
    if (!np && p !== q) return p < q ? -1 : 1;
  }
  return 0;
}
