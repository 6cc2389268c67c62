// Node names the fleet accepts: ASCII host names (RFC 1123 labels, plus "_"), IDNs only as punycode; one reason when not.

/** The longest name DNS can carry (RFC 1035 section 2.3.4: 255 octets on the wire, 253 characters written). */
export const MAX_HOSTNAME = 253;

/**
 * One label: letters, digits, "-" and "_", 1-63 characters, neither starting nor ending with "-" (RFC 1123
 * section 2.1; "_" because cluster node names use it although DNS host names may not). IDNs arrive as their
 * ASCII form ("xn--", RFC 5890 section 2.3.2.1), which this already admits.
 */
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/**
 * Why `name` is not a node name the fleet accepts, or null when it is. Refused: empty names, ".", "..", empty
 * labels, a trailing dot, anything outside printable ASCII (newlines, right-to-left marks, U+FFFD from invalid
 * UTF-8, which would make two different byte strings the same name), and names longer than 253 characters.
 */
export function hostnameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'the host name is empty';
  if (name.length > MAX_HOSTNAME) return `the host name is longer than ${MAX_HOSTNAME} characters`;
  if (/[^\x21-\x7e]/.test(name))
    return 'the host name has characters outside printable ASCII (send an IDN as punycode, xn--...)';
  for (const label of name.split('.'))
    if (!LABEL.test(label))
      return label === ''
        ? 'the host name has an empty label ("." or "..")'
        : `the host name's label "${label.slice(0, 63)}" is not letters, digits, "-" and "_" (1-63, no "-" at either end)`;
  return null;
}

export const isHostname = (name: unknown): name is string => hostnameProblem(name) === null;

/**
 * Whether a report naming `reported` may be stored for the node a collector knows as `expected` (a Slurm node name
 * from srun's placement, a pdsh target, a report file's name): the same name, or `expected` is the first label of the
 * report's fully qualified name (Slurm node "cn001", host name "cn001.cluster.example").
 */
export function sameNode(expected: string, reported: string): boolean {
  if (expected === reported) return true;
  return !expected.includes('.') && reported.startsWith(`${expected}.`);
}
