// Orders version strings by their numeric and alphabetic runs: enough to pick the newest kernel in lib/modules.

export function compareLooseVersion(a: string, b: string): number {
  const ta = a.match(/\d+|[A-Za-z]+/g) ?? [];
  const tb = b.match(/\d+|[A-Za-z]+/g) ?? [];
  for (let i = 0; i < Math.max(ta.length, tb.length); i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d < 0 ? -1 : 1;
    } else if (nx !== ny) {
      return nx ? 1 : -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/** "5.15.0-91-generic" -> [5, 15, 0]; null when the release does not start with a version. */
export function kernelBaseVersion(release: string): [number, number, number] | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function baseAtLeast(
  base: [number, number, number],
  major: number,
  minor: number,
  patch = 0,
): boolean {
  if (base[0] !== major) return base[0] > major;
  if (base[1] !== minor) return base[1] > minor;
  return base[2] >= patch;
}
