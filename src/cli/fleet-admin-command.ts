// `ctrsafe fleet revoke | rekey | enrolments | approve | deny | audit | prune`: the administrator's side, on the store.
import { isIP } from 'node:net';
import * as os from 'node:os';
import { UsageError } from '../errors.js';
import { escapeControl } from '../render/terminal-text.js';
import { hostnameProblem } from '../fleet/hostname.js';
import { hashToken, newToken } from '../fleet/server/tokens.js';
import type { FleetStore } from '../fleet/store/fleet-store.js';
import type { CliIo } from './io.js';
import { flag, positiveInt, type ParsedArgs } from './parse-args.js';

export const FLEET_ADMIN_COMMANDS = ['revoke', 'rekey', 'enrolments', 'approve', 'deny', 'audit', 'prune'];

const iso = (ms: number) => new Date(ms).toISOString();

function node(p: ParsedArgs, sub: string): string {
  const n = p.positionals[0];
  if (!n) throw new UsageError(`fleet ${sub} needs a node name`);
  const bad = hostnameProblem(n);
  if (bad) throw new UsageError(`fleet ${sub} ${n.slice(0, 80)}: ${bad}`);
  return n;
}

export async function fleetAdminCommand(
  sub: string,
  store: FleetStore,
  p: ParsedArgs,
  io: CliIo,
): Promise<number> {
  // The audit trail names who acted: the account that ran the command on the server's host.
  const actor = `cli:${os.userInfo().username}`;
  const now = Date.now();
  const hours = positiveInt(flag(p, 'within-hours'), '--within-hours', 24 * 30) ?? 24;
  if (sub === 'revoke') {
    const n = node(p, sub);
    const done = await store.revokeNodeToken(n, now, actor);
    io.stdout.write(done ? `ctrsafe: ${n}'s token is revoked\n` : `ctrsafe: ${n} has no live token\n`);
    return done ? 0 : 1;
  }
  if (sub === 'rekey') {
    const n = node(p, sub);
    if (p.flags.has('issue-token')) {
      const token = newToken();
      await store.rekeyNode(n, now, { tokenHash: hashToken(token) }, actor);
      io.stderr.write(
        `ctrsafe: ${n} has a new token; its old one no longer works. Install this in the node's state directory (node-token, mode 0600):\n`,
      );
      io.stdout.write(`${token}\n`);
      return 0;
    }
    const from = flag(p, 'from') ?? null;
    if (from !== null && isIP(from) === 0)
      throw new UsageError('--from must be the IP address the node enrols from');
    const until = now + hours * 3600_000;
    await store.rekeyNode(n, now, { until, from }, actor);
    io.stdout.write(
      `ctrsafe: ${n}'s token no longer works; it may enrol again (with the enrolment secret) until ${iso(until)}${from ? ` from ${from}` : ''}\n`,
    );
    return 0;
  }
  if (sub === 'enrolments') {
    const rows = await store.enrolmentRequests(p.flags.has('all') ? null : 'pending');
    if (!rows.length) io.stdout.write('ctrsafe: no enrolment requests\n');
    for (const r of rows)
      io.stdout.write(
        `${String(r.id).padStart(6)}  ${r.status.padEnd(8)}  ${iso(r.at)}  ${r.hostname}  from ${r.peer}${r.decided_by ? `  (${r.status} by ${r.decided_by} ${iso(r.decided_at ?? 0)})` : ''}\n`,
      );
    return 0;
  }
  if (sub === 'approve' || sub === 'deny') {
    const id = positiveInt(p.positionals[0], `fleet ${sub} ID`, 999_999_999);
    if (id === undefined)
      throw new UsageError(`fleet ${sub} needs a request id (fleet enrolments lists them)`);
    const r = await store.decideEnrolment(id, sub === 'approve', now, hours * 3600_000, actor);
    if (!r) {
      io.stdout.write(`ctrsafe: no pending enrolment request ${id}\n`);
      return 1;
    }
    io.stdout.write(
      sub === 'approve'
        ? `ctrsafe: ${r.hostname} may enrol again from ${r.peer} until ${iso(now + hours * 3600_000)}; its old token no longer works\n`
        : `ctrsafe: request ${id} (${r.hostname} from ${r.peer}) denied\n`,
    );
    return 0;
  }
  if (sub === 'audit') {
    const n = flag(p, 'node');
    const events = await store.auditEvents({
      limit: positiveInt(flag(p, 'limit'), '--limit', 10_000) ?? 100,
      ...(n ? { hostname: n } : {}),
    });
    for (const e of events)
      io.stdout.write(
        escapeControl(
          `${iso(e.at)}  ${e.action.padEnd(28)}  ${e.hostname ?? '-'}  ${e.peer ? `from ${e.peer}  ` : ''}by ${e.actor}${e.detail ? `  ${e.detail}` : ''}`,
        ) + '\n',
      );
    return 0;
  }
  // prune
  const days = positiveInt(flag(p, 'older-than-days'), '--older-than-days', 36500);
  if (days === undefined) throw new UsageError('fleet prune needs --older-than-days D');
  const r = await store.prune(now - days * 86_400_000);
  io.stdout.write(
    `ctrsafe: ${r.nodes} nodes and ${r.transitions} transitions older than ${days} days pruned\n`,
  );
  return 0;
}
