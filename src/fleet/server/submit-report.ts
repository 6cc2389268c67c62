// One node's report body, after its token named the node: parse, validate, bind to that node, store; an HTTP answer.
import type { FleetStore, IngestResult } from '../store/fleet-store.js';
import { reportItem, type ReportItem } from '../store/ingest-batch.js';
import { parseReport } from '../validate-report.js';
import type { ErrorAnswer, ReportAnswer } from '../../schema/fleet-api.js';

export interface Answer {
  status: number;
  body: ReportAnswer | ErrorAnswer;
  /** A security event for the audit trail (a node sent another node's report). */
  audit?: { action: string; detail: string };
}

/**
 * Parses and checks a body in whatever thread holds it, and derives what the store writes: pure, no database. A
 * report for any host but the token's is refused: a node reports only itself.
 */
export function checkReport(
  tokenHost: string,
  body: Buffer,
  receivedAt: number,
): { answer: Answer } | { item: ReportItem } {
  const v = parseReport(body, receivedAt);
  if (!v.ok)
    return {
      answer: {
        status: v.reason === 'not valid JSON' || v.reason === 'not valid UTF-8' ? 400 : 422,
        body: { error: `report refused: ${v.reason}` },
      },
    };
  const claimed = v.report.host.hostname;
  if (claimed !== tokenHost)
    return {
      answer: {
        status: 403,
        body: { error: `this token belongs to ${tokenHost}, not ${claimed}` },
        audit: {
          action: 'report:refused-other-node',
          detail: `a report for ${claimed} sent with ${tokenHost}'s token`,
        },
      },
    };
  return { item: reportItem(v.report, receivedAt, v.text) };
}

export function stored(r: IngestResult, reportId: string): Answer {
  return {
    status: r.note === 'duplicate' ? 200 : 201,
    body: { stored: r.stored, ...(r.note ? { note: r.note } : {}), report_id: reportId },
  };
}

/** checkReport, then the refusal recorded or the report stored, in this thread. */
export async function submitReport(
  store: FleetStore,
  tokenHost: string,
  body: Buffer,
  receivedAt: number,
): Promise<Answer> {
  const c = checkReport(tokenHost, body, receivedAt);
  if ('item' in c) return stored(await store.ingestItem(c.item), c.item.id);
  if (c.answer.audit)
    await store.audit({ at: receivedAt, actor: 'node', hostname: tokenHost, ...c.answer.audit });
  return c.answer;
}
