// Node identity in the store: enrolment binds a host name to one token once; only an administrator re-keys it.
import type { AuditEntry, EnrolmentRequest } from '../../schema/fleet-api.js';
import type { SqlDriver } from './sql-driver.js';

/** What the site does with a second enrolment of a host name that has a token: refuse it, or hold it for approval. */
export type ReenrolPolicy = 'refuse' | 'approve';

export type EnrolOutcome =
  | { kind: 'enrolled' }
  /** An administrator's re-key (or approval) allowed this one enrolment: the old token is gone. */
  | { kind: 'rekeyed' }
  | { kind: 'refused-enrolled'; since: number }
  | { kind: 'refused-revoked'; since: number }
  | { kind: 'held'; request: number }
  /** More requests waiting than an administrator could review: refused until some are decided. */
  | { kind: 'refused-queue-full' };

export interface AuditEvent {
  at: number;
  /** "node", "admin", "cli:<user>", "collect": who did it. */
  actor: string;
  action: string;
  hostname?: string | null;
  peer?: string | null;
  detail?: string | null;
}

/** Pending re-enrolment requests kept at most: beyond this, further ones are refused (and logged). */
export const MAX_PENDING_REQUESTS = 10_000;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export async function recordAudit(db: SqlDriver, e: AuditEvent): Promise<void> {
  await db.run(
    'INSERT INTO audit_events (at, actor, action, hostname, peer, detail) VALUES (?, ?, ?, ?, ?, ?)',
    [e.at, e.actor, e.action, e.hostname ?? null, e.peer ?? null, e.detail?.slice(0, 1000) ?? null],
  );
}

/**
 * Enrols `hostname` with a new token hash, inside the caller's transaction. A host name seen before keeps its
 * token: a second enrolment is refused or held (policy) unless an administrator's re-key window is open for it
 * (and, if the re-key named an address, it comes from there). A revoked node stays revoked.
 */
export async function enrolNode(
  tx: SqlDriver,
  hostname: string,
  tokenHash: string,
  peer: string,
  now: number,
  policy: ReenrolPolicy,
): Promise<EnrolOutcome> {
  const inserted = await tx.run(
    'INSERT INTO node_tokens (hostname, token_hash, created_at, revoked_at) VALUES (?, ?, ?, NULL) ON CONFLICT (hostname) DO NOTHING',
    [hostname, tokenHash, now],
  );
  if (inserted > 0) return { kind: 'enrolled' };
  const row = (
    await tx.all<{
      created_at: unknown;
      revoked_at: unknown;
      rekey_until: unknown;
      rekey_from: string | null;
    }>('SELECT created_at, revoked_at, rekey_until, rekey_from FROM node_tokens WHERE hostname = ?', [
      hostname,
    ])
  )[0]!;
  const until = num(row.rekey_until);
  const open = until !== null && now <= until;
  if (open && (row.rekey_from === null || row.rekey_from === peer)) {
    await tx.run(
      'UPDATE node_tokens SET token_hash = ?, created_at = ?, revoked_at = NULL, rekey_until = NULL, rekey_from = NULL WHERE hostname = ?',
      [tokenHash, now, hostname],
    );
    return { kind: 'rekeyed' };
  }
  // A window open for another address is not this requester's: it is treated as an enrolled node's.
  if (row.revoked_at !== null && !open) return { kind: 'refused-revoked', since: num(row.revoked_at)! };
  if (policy === 'refuse') return { kind: 'refused-enrolled', since: num(row.created_at)! };
  const pending = await tx.all<{ id: unknown }>(
    "SELECT id FROM enrolment_requests WHERE hostname = ? AND peer = ? AND status = 'pending'",
    [hostname, peer],
  );
  if (pending[0]) {
    await tx.run('UPDATE enrolment_requests SET at = ? WHERE id = ?', [now, pending[0].id]);
    return { kind: 'held', request: Number(pending[0].id) };
  }
  const count = Number(
    (await tx.all<{ n: unknown }>("SELECT COUNT(*) AS n FROM enrolment_requests WHERE status = 'pending'"))[0]
      ?.n,
  );
  if (count >= MAX_PENDING_REQUESTS) return { kind: 'refused-queue-full' };
  const id = await tx.all<{ id: unknown }>(
    "INSERT INTO enrolment_requests (hostname, peer, at, status) VALUES (?, ?, ?, 'pending') RETURNING id",
    [hostname, peer, now],
  );
  return { kind: 'held', request: Number(id[0]!.id) };
}

/** Revokes a node's token; any open re-key window closes too (revocation sticks). */
export async function revokeNode(tx: SqlDriver, hostname: string, now: number): Promise<boolean> {
  return (
    (await tx.run(
      'UPDATE node_tokens SET revoked_at = COALESCE(revoked_at, ?), rekey_until = NULL, rekey_from = NULL WHERE hostname = ? AND (revoked_at IS NULL OR rekey_until IS NOT NULL)',
      [now, hostname],
    )) > 0
  );
}

/**
 * An administrator re-keys a node: its current token stops working now. With `tokenHash` the new token is the
 * administrator's to install on the node; without it, the node may enrol once (with the enrolment secret) until
 * `until`, from `from` if given. A node never enrolled gets a row, so a re-key can also pre-authorise a new node.
 */
export async function rekeyNode(
  tx: SqlDriver,
  hostname: string,
  now: number,
  opts: { tokenHash?: string; until?: number; from?: string | null },
): Promise<void> {
  if (opts.tokenHash) {
    await tx.run(
      `INSERT INTO node_tokens (hostname, token_hash, created_at, revoked_at) VALUES (?, ?, ?, NULL)
       ON CONFLICT (hostname) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at, revoked_at = NULL, rekey_until = NULL, rekey_from = NULL`,
      [hostname, opts.tokenHash, now],
    );
    return;
  }
  // The placeholder hash is no sha256 of anything a node could present: the row only carries the window.
  await tx.run(
    `INSERT INTO node_tokens (hostname, token_hash, created_at, revoked_at, rekey_until, rekey_from) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (hostname) DO UPDATE SET revoked_at = COALESCE(node_tokens.revoked_at, excluded.revoked_at), rekey_until = excluded.rekey_until, rekey_from = excluded.rekey_from`,
    [hostname, `rekey:${hostname}`, now, now, opts.until ?? now, opts.from ?? null],
  );
}

export async function listEnrolmentRequests(
  db: SqlDriver,
  status: string | null,
): Promise<EnrolmentRequest[]> {
  const rows = await db.all<EnrolmentRequest>(
    `SELECT id, hostname, peer, at, status, decided_at, decided_by FROM enrolment_requests ${status ? 'WHERE status = ?' : ''} ORDER BY id DESC LIMIT 1000`,
    status ? [status] : [],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), at: Number(r.at), decided_at: num(r.decided_at) }));
}

/** Decides a pending request; approving re-keys its node for one enrolment from the request's address. */
export async function decideEnrolment(
  tx: SqlDriver,
  id: number,
  approve: boolean,
  by: string,
  now: number,
  windowMs: number,
): Promise<EnrolmentRequest | null> {
  const r = (
    await tx.all<EnrolmentRequest>("SELECT * FROM enrolment_requests WHERE id = ? AND status = 'pending'", [
      id,
    ])
  )[0];
  if (!r) return null;
  await tx.run('UPDATE enrolment_requests SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?', [
    approve ? 'approved' : 'denied',
    now,
    by,
    id,
  ]);
  if (approve) await rekeyNode(tx, r.hostname, now, { until: now + windowMs, from: r.peer });
  // The request as it now stands (the row read above is from before the decision); PostgreSQL's BIGINTs as numbers.
  return {
    id: Number(r.id),
    hostname: r.hostname,
    peer: r.peer,
    at: Number(r.at),
    status: approve ? 'approved' : 'denied',
    decided_at: now,
    decided_by: by,
  };
}

export async function auditEvents(
  db: SqlDriver,
  q: { limit: number; hostname?: string },
): Promise<AuditEntry[]> {
  const rows = await db.all<AuditEntry>(
    `SELECT id, at, actor, action, hostname, peer, detail FROM audit_events ${q.hostname ? 'WHERE hostname = ?' : ''} ORDER BY id DESC LIMIT ?`,
    [...(q.hostname ? [q.hostname] : []), Math.min(Math.max(1, q.limit), 10_000)],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), at: Number(r.at) }));
}
