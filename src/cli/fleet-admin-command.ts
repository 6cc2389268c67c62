// `ctrsafe fleet revoke | rekey | enrolments | approve | deny | audit | prune`: the administrator's side, on the store.
import { isIP } from 'node:net';
import * as os from 'node:os';
import { UsageError } from '../errors.js';
import { escapeControl } from '../render/terminal-text.js';
import { hostnameProblem } from '../fleet/hostname.js';
import { hashToken, newToken } from '../fleet/server/tokens.js';
import type { CliIo } from './io.js';
import { withStore } from './fleet-command.js';
import type { Options } from './options.js';
import type { CommandContext } from './spec.js';

const iso = (ms: number) => new Date(ms).toISOString();

function node(args: string[], sub: string): string {
  const n = args[0];
  if (!n) throw new UsageError(`fleet ${sub} needs a node name`);
  const bad = hostnameProblem(n);
  if (bad) throw new UsageError(`fleet ${sub} ${n.slice(0, 80)}: ${bad}`);
  return n;
}

/** The audit trail names who acted: the account that ran the command on the server's host. */
const actor = () => `cli:${os.userInfo().username}`;

/** `fleet revoke NODE`: exit 1 when the node had no live token. */
export async function fleetRevokeCommand({ io, opts, args }: CommandContext): Promise<number> {
  const n = node(args, 'revoke');
  return withStore(opts, async (store) => {
    const done = await store.revokeNodeToken(n, Date.now(), actor());
    io.stdout.write(done ? `ctrsafe: ${n}'s token is revoked\n` : `ctrsafe: ${n} has no live token\n`);
    return done ? 0 : 1;
  });
}

/** `fleet rekey NODE`: one enrolment within the window (from one address), or a token to install. */
export async function fleetRekeyCommand({ io, opts, args }: CommandContext): Promise<number> {
  const n = node(args, 'rekey');
  const now = Date.now();
  if (opts.has('issue-token'))
    return withStore(opts, async (store) => {
      const token = newToken();
      await store.rekeyNode(n, now, { tokenHash: hashToken(token) }, actor());
      io.stderr.write(
        `ctrsafe: ${n} has a new token; its old one no longer works. Install this in the node's state directory (node-token, mode 0600):\n`,
      );
      io.stdout.write(`${token}\n`);
      return 0;
    });
  const from = opts.get('from') ?? null;
  if (from !== null && isIP(from) === 0)
    throw new UsageError('--from must be the IP address the node enrols from');
  const until = now + (opts.int('within-hours', 24 * 30) ?? 24) * 3600_000;
  return withStore(opts, async (store) => {
    await store.rekeyNode(n, now, { until, from }, actor());
    io.stdout.write(
      `ctrsafe: ${n}'s token no longer works; it may enrol again (with the enrolment secret) until ${iso(until)}${from ? ` from ${from}` : ''}\n`,
    );
    return 0;
  });
}

/** `fleet enrolments [--all]`: the held enrolments (all of them with --all). */
export async function fleetEnrolmentsCommand({ io, opts }: CommandContext): Promise<number> {
  return withStore(opts, async (store) => {
    const rows = await store.enrolmentRequests(opts.has('all') ? null : 'pending');
    if (!rows.length) io.stdout.write('ctrsafe: no enrolment requests\n');
    for (const r of rows)
      io.stdout.write(
        `${String(r.id).padStart(6)}  ${r.status.padEnd(8)}  ${iso(r.at)}  ${r.hostname}  from ${r.peer}${r.decided_by ? `  (${r.status} by ${r.decided_by} ${iso(r.decided_at ?? 0)})` : ''}\n`,
      );
    return 0;
  });
}

/** `fleet approve ID`: the address that asked may enrol once within --within-hours. */
export async function fleetApproveCommand({ io, opts, args }: CommandContext): Promise<number> {
  const windowMs = (opts.int('within-hours', 24 * 30) ?? 24) * 3600_000;
  return decide(io, opts, args, windowMs);
}

/** `fleet deny ID`. */
export async function fleetDenyCommand({ io, opts, args }: CommandContext): Promise<number> {
  return decide(io, opts, args, null);
}

/** Approves (with the window) or denies (null) the held enrolment ARGS[0]; exit 1 when none is pending. */
async function decide(io: CliIo, opts: Options, args: string[], windowMs: number | null): Promise<number> {
  const sub = windowMs === null ? 'deny' : 'approve';
  if (!/^[1-9]\d{0,8}$/.test(args[0] ?? ''))
    throw new UsageError(`fleet ${sub} needs a request id (fleet enrolments lists them)`);
  const id = Number(args[0]);
  const now = Date.now();
  return withStore(opts, async (store) => {
    const r = await store.decideEnrolment(id, windowMs !== null, now, windowMs ?? 0, actor());
    if (!r) {
      io.stdout.write(`ctrsafe: no pending enrolment request ${id}\n`);
      return 1;
    }
    io.stdout.write(
      windowMs !== null
        ? `ctrsafe: ${r.hostname} may enrol again from ${r.peer} until ${iso(now + windowMs)}; its old token no longer works\n`
        : `ctrsafe: request ${id} (${r.hostname} from ${r.peer}) denied\n`,
    );
    return 0;
  });
}

/** `fleet audit [--node NAME] [--limit N]`: newest first, one escaped line an event. */
export async function fleetAuditCommand({ io, opts }: CommandContext): Promise<number> {
  const n = opts.get('node');
  const limit = opts.int('limit', 10_000) ?? 100;
  return withStore(opts, async (store) => {
    const events = await store.auditEvents({ limit, ...(n ? { hostname: n } : {}) });
    for (const e of events)
      io.stdout.write(
        escapeControl(
          `${iso(e.at)}  ${e.action.padEnd(28)}  ${e.hostname ?? '-'}  ${e.peer ? `from ${e.peer}  ` : ''}by ${e.actor}${e.detail ? `  ${e.detail}` : ''}`,
        ) + '\n',
      );
    return 0;
  });
}

/** `fleet prune --older-than-days D`. */
export async function fleetPruneCommand({ io, opts }: CommandContext): Promise<number> {
  const days = opts.int('older-than-days', 36500);
  if (days === undefined) throw new UsageError('fleet prune needs --older-than-days D');
  return withStore(opts, async (store) => {
    const r = await store.prune(Date.now() - days * 86_400_000);
    io.stdout.write(
      `ctrsafe: ${r.nodes} nodes and ${r.transitions} transitions older than ${days} days pruned\n`,
    );
    return 0;
  });
}
