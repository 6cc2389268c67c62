// Debian version comparison as dpkg does it (Debian Policy 5.6.12): epoch, upstream, revision; "~" sorts first.

export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

export function parseDebianVersion(v: string): DebianVersion | null {
  const s = v.trim();
  if (s === '' || s.length > 256 || /\s/.test(s)) return null;
  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    if (!/^\d{1,9}$/.test(s.slice(0, colon))) return null;
    epoch = Number(s.slice(0, colon));
    rest = s.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (
    upstream === '' ||
    !/^[0-9]/.test(upstream) ||
    !/^[A-Za-z0-9.+~:-]*$/.test(upstream) ||
    !/^[A-Za-z0-9.+~]*$/.test(revision)
  )
    return null;
  return { epoch, upstream, revision };
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');

/** Weight of one non-digit character: "~" below the end of the string, letters below other symbols. */
function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const d = order(a[i]) - order(b[j]);
      if (d !== 0) return d < 0 ? -1 : 1;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    let first = 0;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (first === 0) first = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (first !== 0) return first < 0 ? -1 : 1;
  }
  return 0;
}

/** -1, 0 or 1; null when either is not a Debian version. */
export function compareDebian(a: string, b: string): number | null {
  const x = parseDebianVersion(a);
  const y = parseDebianVersion(b);
  if (!x || !y) return null;
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  return compareFragment(x.upstream, y.upstream) || compareFragment(x.revision, y.revision);
}
