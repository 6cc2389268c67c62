// Lists a tar file: an uncompressed one by seeking past member data (no data is read), a compressed one as a stream.
import type { ImageEntry } from '../image-entry.js';
import { FileSource, StreamSource, type ByteSource } from './byte-source.js';
import { fileCompression, openTarStream, type ByteBudget } from './compression.js';
import { readTarMembers, type TarReadOptions } from './tar-reader.js';

export interface TarFileOptions extends TarReadOptions {
  /** Decompressed bytes allowed (compressed files); DEFAULT_MAX_DECOMPRESSED_BYTES when absent. */
  bytes?: ByteBudget;
}

export async function* readTarFileEntries(
  file: string,
  opts: TarFileOptions = {},
): AsyncGenerator<ImageEntry> {
  const src: ByteSource =
    (await fileCompression(file)) === 'none'
      ? await FileSource.open(file)
      : new StreamSource(
          await openTarStream(file, {
            ...(opts.bytes ? { budget: opts.bytes } : {}),
            ...(opts.budget ? { deadlineAt: opts.budget.deadlineAt } : {}),
          }),
        );
  try {
    for await (const m of readTarMembers(src, opts)) yield m.entry;
  } finally {
    await src.close();
  }
}
