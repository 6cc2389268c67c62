// Makes SQLite's committed transactions durable off the writer's path: one fdatasync of the WAL file covers every
// commit made before it starts, and the callers that ask while one runs share the next.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Resolves once everything committed before the call would survive a power loss; rejects if that is not sure. */
export type SyncWrites = () => Promise<void>;

/**
 * fdatasync(2) of the WAL file of `db` (`db`-wal). The file is opened for each sync: fdatasync flushes the file's
 * modified pages whichever descriptor wrote them (fsync(2): "all modified in-core data of the file"), and a fresh
 * open follows the WAL if SQLite ever makes it anew. The size it grew to is flushed with it (fdatasync keeps the
 * metadata a later read needs). The first sync of each WAL file also syncs the directory, as SQLite does for a
 * new WAL (os_unix.c, UNIXFILE_DIRSYNC): without that a power loss could drop the file's name, and every
 * transaction in it. With no WAL file (SQLite removes it when the last connection closes, after a checkpoint
 * into the database), the database file is synced instead.
 */
export function walSync(db: string): SyncWrites {
  let dirSynced: number | null = null;
  const datasync = async (file: string, dir: boolean) => {
    const h = await fs.promises.open(file, 'r');
    try {
      await h.datasync();
      if (!dir) return;
      const { ino } = await h.stat();
      if (ino === dirSynced) return;
      const d = await fs.promises.open(path.dirname(file), 'r');
      try {
        await d.sync();
      } finally {
        await d.close();
      }
      dirSynced = ino;
    } finally {
      await h.close();
    }
  };
  return async () => {
    try {
      await datasync(`${db}-wal`, true);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await datasync(db, false);
    }
  };
}

/**
 * One sync at a time. A call while none runs starts one; calls while one runs share the next, which starts when
 * the running one ends: the running one may have begun before their commits, so it cannot vouch for them.
 */
export function coalesced(sync: SyncWrites): SyncWrites {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const start = (): Promise<void> => {
    running = sync().finally(() => (running = null));
    return running;
  };
  return () => {
    if (!running) return start();
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = null;
        return start();
      });
    return next;
  };
}
