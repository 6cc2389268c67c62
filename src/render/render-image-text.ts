// Renders an image audit for a terminal: the verdict, then each failure and warning with its path and evidence.
import type { ImageReport } from '../image/audit-image.js';
import type { SignatureReport } from '../image/sif/signature-verdict.js';
import type { Style } from './style.js';
import { escapeStrings } from './terminal-text.js';

const ORDER = { fail: 0, warn: 1, pass: 2 } as const;

export function renderImageText(report: ImageReport, st: Style, verbose = false): string {
  // File names, link targets and evidence are the image's bytes: escaped once, before any is printed.
  const r = escapeStrings(report);
  const out: string[] = [];
  const verdict =
    r.summary.fail > 0 ? st.red('FAIL') : r.summary.warn > 0 ? st.yellow('WARN') : st.green('PASS');
  out.push(
    `${verdict} ${st.bold(r.image.path)} ${st.dim(`(${r.image.format}, ${r.image.entries} entries${r.image.layers !== undefined ? `, ${r.image.layers} layers` : ''})`)}`,
  );
  if (r.image.signature !== undefined) out.push(`  ${signatureLine(r.image.signature, st)}`);
  const shown = r.findings
    .filter((f) => verbose || f.status !== 'pass')
    .sort((a, b) => ORDER[a.status] - ORDER[b.status]);
  const byKind = new Map<string, number>();
  for (const f of shown) {
    const n = (byKind.get(f.id) ?? 0) + 1;
    byKind.set(f.id, n);
    if (!verbose && n > 20) continue;
    const s =
      f.status === 'fail' ? st.red('fail') : f.status === 'warn' ? st.yellow('warn') : st.green('pass');
    out.push(
      `  ${s} ${f.severity.padEnd(8)} ${f.id.padEnd(22)} ${f.path ?? '(image file)'}: ${st.dim(f.evidence)}`,
    );
  }
  for (const [k, n] of byKind)
    if (!verbose && n > 20)
      out.push(st.dim(`  ... ${n - 20} more ${k} findings (--verbose or --format json)`));
  out.push(`${r.summary.fail} failed, ${r.summary.warn} warnings, ${r.summary.pass} passed`);
  return out.join('\n') + '\n';
}

/** One line for a SIF's signature verdict: the keys that signed, when, and which objects they cover. */
export function signatureLine(s: SignatureReport | null, st: Style): string {
  if (s === null) return `signature: ${st.red('not verified')} (the image could not be read)`;
  const word =
    s.verdict === 'verified'
      ? st.green(s.verdict)
      : s.verdict === 'signature-invalid'
        ? st.red(s.verdict)
        : st.yellow(s.verdict);
  if (s.verdict !== 'verified') return `signature: ${word}: ${st.dim(s.reason)}`;
  const keys = s.keys
    .filter((k) => k.trusted)
    .map((k) => `${k.fingerprint}${k.user_id ? ` (${k.user_id})` : ''}`)
    .join(', ');
  const when = s.signed_at ? `, signed ${s.signed_at.replace('T', ' ').replace('.000Z', ' UTC')}` : '';
  return `signature: ${word} by ${keys}${when}, objects ${s.covered.join(', ')}`;
}
