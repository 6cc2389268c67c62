// One node's report body, after its token named the node: parse, validate, bind to that node, store; an HTTP answer.
import type { FleetStore } from '../store/fleet-store.js';
import { parseReport } from '../validate-report.js';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** A security event for the audit trail (a node sent another node's report). */
  audit?: { action: string; detail: string };
}

/**
 * Runs where the store's writer runs (the writer thread of `fleet serve`, or in-process): the body is parsed here,
 * off the request path. A report for any host but the token's is refused and recorded: a node reports only itself.
 */
export async function submitReport(
  store: FleetStore,
  tokenHost: string,
  body: Buffer,
  receivedAt: number,
): Promise<Answer> {
  const v = parseReport(body, receivedAt);
  if (!v.ok)
    return {
      status: v.reason === 'not valid JSON' || v.reason === 'not valid UTF-8' ? 400 : 422,
      body: { error: `report refused: ${v.reason}` },
    };
  const claimed = v.report.host.hostname;
  if (claimed !== tokenHost) {
    const detail = `a report for ${claimed} sent with ${tokenHost}'s token`;
    await store.audit({
      at: receivedAt,
      actor: 'node',
      action: 'report:refused-other-node',
      hostname: tokenHost,
      detail,
    });
    return {
      status: 403,
      body: { error: `this token belongs to ${tokenHost}, not ${claimed}` },
      audit: { action: 'report:refused-other-node', detail },
    };
  }
  const r = await store.ingest(v.report, receivedAt, v.text);
  return {
    status: r.note === 'duplicate' ? 200 : 201,
    body: { stored: r.stored, ...(r.note ? { note: r.note } : {}), report_id: v.report.report_id },
  };
}
