// Group commit: writes that arrive together share one transaction (one sync); each caller is answered only after
// the COMMIT that made its write durable. Bulk jobs (reports) are written together in a few multi-row statements;
// if that fails for a reason other than the storage, they are written again one by one, so a bad one fails alone.
import { StorageError, type SqlDriver } from './sql-driver.js';

interface Job<C, I> {
  /** Jobs run in key order (a host name): servers sharing PostgreSQL take per-host locks in one order. */
  key: string;
  /** A job that runs in a transaction of its own (a large report), so it holds up no other's commit. */
  alone: boolean;
  /** A bulk job's item (given to the bulk writer with the others), or a job of its own. */
  item?: I;
  run?: (tx: SqlDriver, part: C) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface GroupCommitOptions<C, I> {
  /**
   * Runs one transaction (after any other write), retried when PostgreSQL broke a deadlock with it; resolves once
   * it is committed, with `durable`, which resolves once the commit would survive a power loss.
   */
  transaction: <T>(fn: (tx: SqlDriver) => Promise<T>) => Promise<{ value: T; durable: Promise<void> }>;
  /** Writes bulk items together; returns one result per item. */
  bulk: (tx: SqlDriver, items: I[], part: C) => Promise<unknown[]>;
  /** What jobs leave for the batch's end (counter moves, say): fresh per attempt, merged when it succeeds. */
  context: () => C;
  merge: (into: C, part: C) => void;
  /** Once per batch, after its jobs, inside its transaction. */
  finish: (tx: SqlDriver, batch: C) => Promise<void>;
  /** After the COMMIT: what the batch wrote is durable. */
  committed: (batch: C) => void;
  maxBatch: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommit<C, I> {
  private queue: Job<C, I>[] = [];
  private scheduled = false;
  private flushing = false;

  constructor(private readonly o: GroupCommitOptions<C, I>) {}

  /** A job of its own, in a savepoint of its own. */
  submit<T>(key: string, run: (tx: SqlDriver, part: C) => Promise<T>): Promise<T> {
    return this.enqueue(key, false, { run });
  }

  /** An item for the bulk writer. */
  submitBulk<T>(key: string, alone: boolean, item: I): Promise<T> {
    return this.enqueue(key, alone, { item });
  }

  private enqueue<T>(key: string, alone: boolean, what: Pick<Job<C, I>, 'item' | 'run'>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ key, alone, ...what, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled && !this.flushing) {
        this.scheduled = true;
        // After the current I/O phase: every request that finished in it joins this batch.
        setImmediate(() => {
          this.scheduled = false;
          void this.flush();
        });
      }
    });
  }

  /** Jobs waiting for a transaction. */
  get waiting(): number {
    return this.queue.length;
  }

  /** The next batch: up to maxBatch jobs, or one job that must run alone; the others keep their places. */
  private take(): Job<C, I>[] {
    if (this.queue[0]!.alone) return this.queue.splice(0, 1);
    const batch: Job<C, I>[] = [];
    const rest: Job<C, I>[] = [];
    for (const j of this.queue) (!j.alone && batch.length < this.o.maxBatch ? batch : rest).push(j);
    this.queue = rest;
    // Stable: one host's writes keep their order.
    return batch.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async flush(): Promise<void> {
    if (this.flushing) return; // the running flush takes what is queued when it finishes
    this.flushing = true;
    // The sync of the batch before the last: a batch runs while the one before it syncs, never further ahead.
    let syncing: Promise<void> = Promise.resolve();
    try {
      while (this.queue.length) {
        const batch = this.take();
        let results: Outcome[];
        let done: C | null = null;
        let durable = Promise.resolve();
        const t0 = performance.now();
        try {
          const t = await this.o.transaction((tx) => this.run(tx, batch));
          [results, done] = t.value;
          durable = t.durable;
        } catch (error) {
          results = batch.map(() => ({ ok: false, error }));
        }
        const took = performance.now() - t0;
        // What the batch leaves in memory (known actions) may be noted now: the next batch reads the same store.
        if (done) this.o.committed(done);
        // Each caller is answered once the commit is durable; the next batch runs meanwhile (a later sync covers
        // it too). A sync that fails fails the batch: nothing of it was acknowledged.
        void durable.then(
          () => results.forEach((x, i) => (x.ok ? batch[i]!.resolve(x.value) : batch[i]!.reject(x.error))),
          (error: unknown) => batch.forEach((j) => j.reject(error)),
        );
        // What arrived during the commit (requests, messages) joins the next batch. When commits are slow (a
        // PostgreSQL COMMIT waits for its WAL flush), wait a little longer, as PostgreSQL's commit_delay does: the
        // answers just sent bring the next reports, and one sync for twice the reports halves the cost of each.
        const wait = took > 2 && this.queue.length < this.o.maxBatch ? Math.min(5, took / 2) : 0;
        await new Promise((r) => (wait ? setTimeout(r, wait) : setImmediate(r)));
        // The next batch runs while this one syncs only when as many reports wait as this batch held: otherwise
        // what arrives during the sync makes the next batch larger, instead of making more small ones (each costs
        // its own statements, counter rows and WAL pages: CPU a busy machine does not have).
        await (this.queue.length < batch.length ? durable : syncing).catch(() => undefined);
        syncing = durable;
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Runs fn in a savepoint: its writes stay, or are undone when it throws (a storage failure loses everything). */
  private async savepoint<T>(tx: SqlDriver, fn: () => Promise<T>): Promise<Outcome & { value?: T }> {
    await tx.run('SAVEPOINT one_write');
    try {
      const value = await fn();
      await tx.run('RELEASE SAVEPOINT one_write');
      return { ok: true, value };
    } catch (error) {
      if (error instanceof StorageError) throw error;
      await tx.run('ROLLBACK TO SAVEPOINT one_write');
      await tx.run('RELEASE SAVEPOINT one_write');
      return { ok: false, error };
    }
  }

  private async run(tx: SqlDriver, batch: Job<C, I>[]): Promise<[Outcome[], C]> {
    const out: Outcome[] = new Array<Outcome>(batch.length);
    const all = this.o.context();
    const attempt = async <T>(fn: (part: C) => Promise<T>) => {
      const part = this.o.context();
      const r = await this.savepoint(tx, () => fn(part));
      if (r.ok) this.o.merge(all, part);
      return r;
    };
    const bulk = batch.flatMap((j, i) => (j.item === undefined ? [] : [i]));
    if (bulk.length) {
      const together = await attempt((part) =>
        this.o.bulk(
          tx,
          bulk.map((i) => batch[i]!.item!),
          part,
        ),
      );
      if (together.ok)
        bulk.forEach((i, k) => (out[i] = { ok: true, value: (together.value as unknown[])[k] }));
      else
        for (const i of bulk) {
          const one = await attempt((part) => this.o.bulk(tx, [batch[i]!.item!], part));
          out[i] = one.ok ? { ok: true, value: (one.value as unknown[])[0] } : one;
        }
    }
    for (const [i, j] of batch.entries()) if (j.run) out[i] = await attempt((part) => j.run!(tx, part));
    await this.o.finish(tx, all);
    return [out, all];
  }
}
