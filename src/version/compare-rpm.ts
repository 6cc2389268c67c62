// RPM version comparison as rpmvercmp does it (rpm 4.18): alphanumeric segments, "~" before and "^" after the end.

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlnum = (c: string | undefined) => c !== undefined && /[A-Za-z0-9]/.test(c);

export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    // "~" sorts before everything, even the end of the string (1.0~rc1 < 1.0).
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // "^" sorts after the end of the string but before any further segment (1.0^git1 > 1.0, < 1.0.1).
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    const si = i;
    const sj = j;
    const numeric = isDigit(a[i]);
    if (numeric) {
      while (isDigit(a[i])) i++;
      while (isDigit(b[j])) j++;
    } else {
      while (i < a.length && /[A-Za-z]/.test(a[i]!)) i++;
      while (j < b.length && /[A-Za-z]/.test(b[j]!)) j++;
    }
    // A numeric segment is newer than an alphabetic one.
    if (sj === j) return numeric ? 1 : -1;
    let x = a.slice(si, i);
    let y = b.slice(sj, j);
    if (numeric) {
      x = x.replace(/^0+/, '');
      y = y.replace(/^0+/, '');
      if (x.length !== y.length) return x.length > y.length ? 1 : -1;
    }
    if (x !== y) return x < y ? -1 : 1;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}

export interface Evr {
  epoch: number;
  version: string;
  release: string | null;
}

/** "1:1.2.5-1.el8" -> epoch 1, version 1.2.5, release 1.el8. */
export function parseEvr(s: string): Evr | null {
  const t = s.trim();
  if (t === '' || t.length > 256 || /\s/.test(t)) return null;
  const m = /^(?:(\d{1,9}):)?([^-]+)(?:-(.+))?$/.exec(t);
  if (!m) return null;
  return { epoch: Number(m[1] ?? 0), version: m[2]!, release: m[3] ?? null };
}

/** EVR order as rpm's labelCompare: epoch, then version, then release (when both have one). */
export function compareRpm(a: string, b: string): number | null {
  const x = parseEvr(a);
  const y = parseEvr(b);
  if (!x || !y) return null;
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  const v = rpmvercmp(x.version, y.version);
  if (v !== 0) return v;
  if (x.release === null || y.release === null) return 0;
  return rpmvercmp(x.release, y.release);
}
