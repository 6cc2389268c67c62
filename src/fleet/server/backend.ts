// What the HTTP app needs of the store: reads on the request path, writes wherever the writer runs (thread or here).
import type { FleetReader } from '../store/fleet-reader.js';
import type { FleetStore } from '../store/fleet-store.js';
import type { EnrolmentRequest } from '../../schema/fleet-api.js';
import type { AuditEvent, EnrolOutcome, ReenrolPolicy } from '../store/node-identity.js';
import { submitReport, type Answer } from './submit-report.js';

export interface FleetBackend {
  /** Reads: summary, nodes, plan, drift, token lookups, enrolment requests, audit events. */
  reader: FleetReader;
  submitReport(tokenHost: string, body: Buffer, receivedAt: number): Promise<Answer>;
  enrol(
    hostname: string,
    tokenHash: string,
    peer: string,
    now: number,
    policy: ReenrolPolicy,
  ): Promise<EnrolOutcome>;
  revoke(hostname: string, now: number, actor: string, peer: string | null): Promise<boolean>;
  rekey(
    hostname: string,
    now: number,
    opts: { tokenHash?: string; until?: number; from?: string | null },
    actor: string,
    peer: string | null,
  ): Promise<void>;
  decide(
    id: number,
    approve: boolean,
    now: number,
    windowMs: number,
    actor: string,
    peer: string | null,
  ): Promise<EnrolmentRequest | null>;
  audit(e: AuditEvent): Promise<void>;
  /** Retention: forgets nodes silent since `before`, and older history. */
  prune(before: number): Promise<{ nodes: number; transitions: number }>;
  /** Reports waiting to be stored: the server refuses more (503) past its bound. */
  backlog(): number;
  close(): Promise<void>;
}

/** Everything in this thread on one store: the tests' app, and the server where no writer thread can start. */
export class LocalBackend implements FleetBackend {
  private waiting = 0;
  constructor(private readonly store: FleetStore) {}

  get reader(): FleetReader {
    return this.store;
  }

  async submitReport(tokenHost: string, body: Buffer, receivedAt: number): Promise<Answer> {
    this.waiting++;
    try {
      return await submitReport(this.store, tokenHost, body, receivedAt);
    } finally {
      this.waiting--;
    }
  }

  enrol(hostname: string, tokenHash: string, peer: string, now: number, policy: ReenrolPolicy) {
    return this.store.enrol(hostname, tokenHash, peer, now, policy);
  }

  revoke(hostname: string, now: number, actor: string, peer: string | null) {
    return this.store.revokeNodeToken(hostname, now, actor, peer);
  }

  rekey(
    hostname: string,
    now: number,
    opts: { tokenHash?: string; until?: number; from?: string | null },
    actor: string,
    peer: string | null,
  ) {
    return this.store.rekeyNode(hostname, now, opts, actor, peer);
  }

  decide(id: number, approve: boolean, now: number, windowMs: number, actor: string, peer: string | null) {
    return this.store.decideEnrolment(id, approve, now, windowMs, actor, peer);
  }

  audit(e: AuditEvent) {
    return this.store.audit(e);
  }

  prune(before: number) {
    return this.store.prune(before);
  }

  backlog(): number {
    return this.waiting;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}
