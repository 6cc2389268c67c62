// The store's writer in a thread of its own: report bodies are parsed, checked and committed there, off the request path.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { WRITER_ARG, WRITER_ROLE } from './writer-role.js';
import { fileURLToPath } from 'node:url';
import type { FleetReader } from '../store/fleet-reader.js';
import type { FleetStore } from '../store/fleet-store.js';
import type { EnrolmentRequest } from '../../schema/fleet-api.js';
import type { AuditEvent, EnrolOutcome, ReenrolPolicy } from '../store/node-identity.js';
import { openReader, openStore, type StoreOptions } from '../store/open-store.js';
import { StorageError } from '../store/sql-driver.js';
import { InputError } from '../../errors.js';
import type { FleetBackend } from './backend.js';
import { checkReport, stored, submitReport, type Answer } from './submit-report.js';
import type { ReportItem } from '../store/ingest-batch.js';
import type { IngestResult } from '../store/fleet-store.js';

/**
 * Bodies up to this size are parsed and checked on the request path (it costs less than moving them), larger ones
 * in the writer thread, so that one large report never holds up the requests of others.
 */
const INLINE_BODY = 256 * 1024;

/** What of the store's options crosses to the thread (plain data). */
type ThreadStoreOptions = Pick<StoreOptions, 'passwordFile' | 'timeoutMs'>;

interface WriterData {
  role: typeof WRITER_ROLE;
  url: string;
  store: ThreadStoreOptions;
}

type Op = 'submitReport' | 'storeItem' | 'enrol' | 'revoke' | 'rekey' | 'decide' | 'audit' | 'prune';

interface Request {
  id: number;
  op: Op;
  args: unknown[];
}

type Reply =
  | { id: number; value: unknown }
  | {
      id: number;
      error: { message: string; storage?: { code: string; transient: boolean; retry: boolean } };
    };

type Notice = { ready: true } | { fatal: string } | { log: string };

/** The file a Worker runs: this build's entry point (bin.js), or the bundle itself. */
function entryFile(): string {
  const url = (import.meta as { url?: string }).url;
  return url ? fileURLToPath(new URL('../../cli/bin.js', url)) : __filename;
}

function operations(store: FleetStore): Record<Op, (...a: never[]) => Promise<unknown>> {
  return {
    submitReport: (host: string, body: Uint8Array, at: number) =>
      submitReport(store, host, Buffer.from(body.buffer, body.byteOffset, body.byteLength), at),
    storeItem: (item: ReportItem) => store.ingestItem(item),
    enrol: (h: string, hash: string, peer: string, now: number, policy: ReenrolPolicy) =>
      store.enrol(h, hash, peer, now, policy),
    revoke: (h: string, now: number, actor: string, peer: string | null) =>
      store.revokeNodeToken(h, now, actor, peer),
    rekey: (
      h: string,
      now: number,
      o: { tokenHash?: string; until?: number; from?: string | null },
      actor: string,
      peer: string | null,
    ) => store.rekeyNode(h, now, o, actor, peer),
    decide: (id: number, approve: boolean, now: number, w: number, actor: string, peer: string | null) =>
      store.decideEnrolment(id, approve, now, w, actor, peer),
    audit: (e: AuditEvent) => store.audit(e),
    prune: (before: number) => store.prune(before),
  };
}

/** The thread's side: opens the store (migrating it), then serves requests from the main thread until it ends. */
export async function runWriterThread(): Promise<void> {
  if (isMainThread || !parentPort) return;
  const port = parentPort;
  const data = workerData as WriterData;
  let store: FleetStore;
  try {
    store = await openStore(data.url, {
      ...data.store,
      onError: (log) => port.postMessage({ log } satisfies Notice),
    });
  } catch (e) {
    port.postMessage({ fatal: (e as Error).message.split('\n')[0]! } satisfies Notice);
    return;
  }
  const ops = operations(store);
  port.on('message', (m: Request | 'close') => {
    if (m === 'close') {
      void store.close().finally(() => port.close());
      return;
    }
    (ops[m.op] as (...a: unknown[]) => Promise<unknown>)(...m.args).then(
      (value) => port.postMessage({ id: m.id, value } satisfies Reply),
      (e: unknown) =>
        port.postMessage({
          id: m.id,
          error: {
            message: e instanceof Error ? e.message.split('\n')[0]! : String(e),
            ...(e instanceof StorageError
              ? { storage: { code: e.code, transient: e.transient, retry: e.retry } }
              : {}),
          },
        } satisfies Reply),
    );
  });
  port.postMessage({ ready: true } satisfies Notice);
}

/**
 * The main thread's side. Reads go to a connection of the main thread's own (SQLite in WAL mode: readers never
 * wait for the writer), so a summary is answered while the writer commits or parses a large report.
 */
export class ThreadedBackend implements FleetBackend {
  private next = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();

  private constructor(
    private readonly worker: Worker,
    readonly reader: FleetReader,
  ) {}

  static async start(
    url: string,
    opts: ThreadStoreOptions & { log: (line: string) => void; onExit: (why: string) => void },
  ): Promise<ThreadedBackend> {
    const worker = new Worker(entryFile(), {
      workerData: {
        role: WRITER_ROLE,
        url,
        store: {
          ...(opts.passwordFile ? { passwordFile: opts.passwordFile } : {}),
          ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        },
      } satisfies WriterData,
      // bin.ts runs runWriterThread() instead of the command line when it sees both this and the role.
      argv: [WRITER_ARG],
      // The thread writes nothing to the terminal; what it has to say comes as messages.
      stdout: false,
      stderr: false,
    });
    // Only this function's own listeners come off afterwards: Node keeps listeners of its own on a Worker.
    let onMessage: (m: Notice | Reply) => void = () => undefined;
    let onError: (e: Error) => void = () => undefined;
    let onExit: (code: number) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      onError = reject;
      onExit = (code) => reject(new Error(`the writer thread ended (${code}) before it was ready`));
      onMessage = (m) => {
        if ('ready' in m) resolve();
        else if ('fatal' in m) reject(new InputError(m.fatal));
      };
      worker.on('error', onError).on('exit', onExit).on('message', onMessage);
    });
    try {
      await ready;
    } catch (e) {
      await worker.terminate();
      throw e;
    } finally {
      worker.off('error', onError).off('exit', onExit).off('message', onMessage);
    }
    const reader = await openReader(url, {
      ...(opts.passwordFile ? { passwordFile: opts.passwordFile } : {}),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      onError: opts.log,
    });
    const b = new ThreadedBackend(worker, reader);
    worker.on('message', (m: Notice | Reply) => b.onMessage(m, opts.log));
    worker.on('error', (e) => opts.log(`writer thread: ${e.message.split('\n')[0]}`));
    worker.on('exit', (code) => {
      for (const p of b.pending.values())
        p.reject(new StorageError('the writer thread stopped', 'writer', true));
      b.pending.clear();
      if (!b.closing) opts.onExit(`the writer thread stopped (exit code ${code})`);
    });
    return b;
  }

  private closing = false;

  private onMessage(m: Notice | Reply, log: (line: string) => void) {
    if ('log' in m) return log(m.log);
    if (!('id' in m)) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if ('value' in m) p.resolve(m.value);
    else
      p.reject(
        m.error.storage
          ? new StorageError(
              m.error.message,
              m.error.storage.code,
              m.error.storage.transient,
              m.error.storage.retry,
            )
          : new Error(m.error.message),
      );
  }

  private call<T>(op: Op, args: unknown[], transfer: ArrayBuffer[] = []): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args } satisfies Request, transfer);
    });
  }

  async submitReport(tokenHost: string, body: Buffer, receivedAt: number): Promise<Answer> {
    if (body.length <= INLINE_BODY) {
      const c = checkReport(tokenHost, body, receivedAt);
      if ('item' in c) return stored(await this.call<IngestResult>('storeItem', [c.item]), c.item.id);
      if (c.answer.audit)
        await this.audit({ at: receivedAt, actor: 'node', hostname: tokenHost, ...c.answer.audit });
      return c.answer;
    }
    // The bytes move to the thread without a copy when the buffer owns its memory (large bodies do).
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
    const bytes = own ? new Uint8Array(body.buffer) : new Uint8Array(body);
    return this.call('submitReport', [tokenHost, bytes, receivedAt], [bytes.buffer as ArrayBuffer]);
  }

  enrol(hostname: string, tokenHash: string, peer: string, now: number, policy: ReenrolPolicy) {
    return this.call<EnrolOutcome>('enrol', [hostname, tokenHash, peer, now, policy]);
  }

  revoke(hostname: string, now: number, actor: string, peer: string | null) {
    return this.call<boolean>('revoke', [hostname, now, actor, peer]);
  }

  rekey(
    hostname: string,
    now: number,
    opts: { tokenHash?: string; until?: number; from?: string | null },
    actor: string,
    peer: string | null,
  ) {
    return this.call<void>('rekey', [hostname, now, opts, actor, peer]);
  }

  decide(id: number, approve: boolean, now: number, windowMs: number, actor: string, peer: string | null) {
    return this.call<EnrolmentRequest | null>('decide', [id, approve, now, windowMs, actor, peer]);
  }

  audit(e: AuditEvent) {
    return this.call<void>('audit', [e]);
  }

  prune(before: number) {
    return this.call<{ nodes: number; transitions: number }>('prune', [before]);
  }

  backlog(): number {
    return this.pending.size;
  }

  async close(): Promise<void> {
    this.closing = true;
    const exited = new Promise((r) => this.worker.once('exit', r));
    this.worker.postMessage('close');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    await this.worker.terminate();
    await this.reader.close();
  }
}
