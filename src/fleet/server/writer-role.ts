// How a thread started on ctrsafe's own entry file knows it is the fleet store's writer, without loading
// node:worker_threads in every command's start (it costs milliseconds that `check` does not have).

/** workerData.role of the writer thread. */
export const WRITER_ROLE = 'ctrsafe-fleet-writer';

/** The last word of the writer thread's process.argv (Worker's `argv` option): bin.ts's cheap first test. */
export const WRITER_ARG = '--ctrsafe-fleet-writer-thread';
