// Times verifying a 1 GiB signed SIF (DSSE Ed25519, and OpenPGP) against sha256sum of the same file, interleaved.
// The SIF is written here: a 1 GiB primary partition of random bytes, signed over its group as sylabs/sif signs.
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomFillSync, sign } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as openpgp from 'openpgp';
import { descriptorIntegrityBytes, hashBytes, headerIntegrityBytes } from '../src/image/sif/sif-integrity.js';
import { preAuthEncoding, SIF_METADATA_MEDIA_TYPE } from '../src/image/sif/signature-envelope.js';
import { runInterleaved } from './interleaved.js';

const runs = Number(process.env.BENCH_RUNS ?? 7);
const size = Number(process.env.BENCH_MIB ?? 1024) * 1024 * 1024;
const here = path.dirname(new URL(import.meta.url).pathname);
const bundle = path.join(here, '../bundle/ctrsafe.cjs');
const dir = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'ctrsafe-sifbench-'));

// sylabs/sif layout (create.go defaults): header, 48 descriptors at 4096, data from 32176, partitions 4096-aligned.
const DESC_AT = 4096;
const DESC_SIZE = 585;
const PART_AT = 32768;

function descriptor(
  id: number,
  type: number,
  group: number,
  link: number,
  offset: number,
  len: number,
  extra: Buffer,
): Buffer {
  const d = Buffer.alloc(DESC_SIZE);
  d.writeInt32LE(type, 0);
  d[4] = 1;
  d.writeUInt32LE(id, 5);
  d.writeUInt32LE((0xf0000000 | group) >>> 0, 9);
  d.writeUInt32LE(link >>> 0, 13);
  d.writeBigInt64LE(BigInt(offset), 17);
  d.writeBigInt64LE(BigInt(len), 25);
  d.writeBigInt64LE(BigInt(len), 33);
  extra.copy(d, 201);
  return d;
}

function header(dataEnd: number, used: number): Buffer {
  const h = Buffer.alloc(128);
  h.write('#!/usr/bin/env run-singularity\n', 0, 'latin1');
  h.write('SIF_MAGIC\0', 32, 'latin1');
  h.write('01\0', 42, 'latin1');
  h.write('02\0', 45, 'latin1');
  h.writeBigInt64LE(BigInt(48 - used), 80);
  h.writeBigInt64LE(48n, 88);
  h.writeBigInt64LE(BigInt(DESC_AT), 96);
  h.writeBigInt64LE(BigInt(48 * DESC_SIZE), 104);
  h.writeBigInt64LE(32176n, 112);
  h.writeBigInt64LE(BigInt(dataEnd - 32176), 120);
  return h;
}

/** Writes the partition once, then one SIF per signer sharing it (copied), each with its signature appended. */
async function build(): Promise<{ dsse: string; pgp: string; edKey: string; pgpKey: string }> {
  const part = path.join(dir, 'part.bin');
  const fd = fs.openSync(part, 'w');
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  const h = createHash('sha256');
  for (let done = 0; done < size; done += chunk.length) {
    randomFillSync(chunk);
    const piece = chunk.subarray(0, Math.min(chunk.length, size - done));
    h.update(piece);
    fs.writeSync(fd, piece);
  }
  fs.closeSync(fd);
  const partDigest = h.digest('hex');
  const partExtra = Buffer.alloc(384);
  partExtra.writeInt32LE(1, 0); // squashfs
  partExtra.writeInt32LE(2, 4); // primary system partition
  partExtra.write('02\0', 8, 'latin1');
  const partDesc = descriptor(1, 0x4004, 1, 0, PART_AT, size, partExtra);
  const metadata = JSON.stringify({
    version: 1,
    header: { digest: `sha256:${hashBytes('sha256', headerIntegrityBytes(header(0, 0)))}` },
    objects: [
      {
        relativeId: 0,
        descriptorDigest: `sha256:${hashBytes('sha256', descriptorIntegrityBytes(partDesc, 0))}`,
        objectDigest: `sha256:${partDigest}`,
      },
    ],
  });
  const ed = generateKeyPairSync('ed25519');
  const edKey = path.join(dir, 'ed25519.pem');
  fs.writeFileSync(edKey, ed.publicKey.export({ type: 'spki', format: 'pem' }));
  const dsseSig = Buffer.from(
    JSON.stringify({
      payloadType: SIF_METADATA_MEDIA_TYPE,
      payload: Buffer.from(metadata).toString('base64'),
      signatures: [
        {
          keyid: '',
          sig: sign(
            null,
            preAuthEncoding(SIF_METADATA_MEDIA_TYPE, Buffer.from(metadata)),
            ed.privateKey,
          ).toString('base64'),
        },
      ],
    }),
  );
  const pair = await openpgp.generateKey({
    type: 'ecc',
    userIDs: [{ name: 'Bench', email: 'bench@example.org' }],
    format: 'object',
  });
  const pgpKey = path.join(dir, 'pgp.asc');
  fs.writeFileSync(pgpKey, pair.publicKey.armor());
  const pgpSig = Buffer.from(
    await openpgp.sign({
      message: await openpgp.createCleartextMessage({ text: metadata }),
      signingKeys: pair.privateKey,
    }),
  );
  const out = (name: string, sig: Buffer, fpr: Buffer) => {
    const f = path.join(dir, name);
    const sigAt = PART_AT + size;
    const sigExtra = Buffer.alloc(384);
    sigExtra.writeInt32LE(1, 0); // sha256
    fpr.copy(sigExtra, 4);
    const table = Buffer.alloc(48 * DESC_SIZE);
    partDesc.copy(table, 0);
    descriptor(2, 0x4005, 0, (0xf0000000 | 1) >>> 0, sigAt, sig.length, sigExtra).copy(table, DESC_SIZE);
    const w = fs.openSync(f, 'w');
    fs.writeSync(w, header(sigAt + sig.length, 2), 0, 128, 0);
    fs.writeSync(w, table, 0, table.length, DESC_AT);
    fs.writeSync(w, sig, 0, sig.length, sigAt);
    fs.closeSync(w);
    // The partition bytes, copied in at their offset.
    const r = fs.openSync(part, 'r');
    const w2 = fs.openSync(f, 'r+');
    for (let pos = 0; pos < size; pos += chunk.length) {
      const n = fs.readSync(r, chunk, 0, chunk.length, pos);
      fs.writeSync(w2, chunk, 0, n, PART_AT + pos);
    }
    fs.closeSync(r);
    fs.closeSync(w2);
    return f;
  };
  const dsse = out('dsse.sif', dsseSig, Buffer.alloc(20));
  const pgp = out('pgp.sif', pgpSig, Buffer.from(pair.publicKey.getFingerprint(), 'hex'));
  fs.rmSync(part);
  return { dsse, pgp, edKey, pgpKey };
}

const built = await build();
try {
  for (const [f, k] of [
    [built.dsse, built.edKey],
    [built.pgp, built.pgpKey],
  ] as const) {
    const r = spawnSync(process.execPath, [bundle, 'image', 'verify', f, '--keyring', k], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`${f} does not verify: ${r.stdout}${r.stderr}`);
  }
  console.log(
    `verifying a ${size / 1024 / 1024} MiB signed SIF against sha256sum of the same file (page cache warm)`,
  );
  const m = runInterleaved(
    [
      { name: 'sha256sum dsse.sif', argv: ['sha256sum', built.dsse] },
      {
        name: 'ctrsafe image verify (DSSE Ed25519)',
        argv: [process.execPath, bundle, 'image', 'verify', built.dsse, '--keyring', built.edKey],
      },
      {
        name: 'ctrsafe image verify (OpenPGP)',
        argv: [process.execPath, bundle, 'image', 'verify', built.pgp, '--keyring', built.pgpKey],
      },
      { name: 'node -e 0 (start-up alone)', argv: [process.execPath, '-e', '0'] },
    ],
    runs,
  );
  const base = m.get('sha256sum dsse.sif')!;
  console.log(
    `ratio to sha256sum: DSSE ${(m.get('ctrsafe image verify (DSSE Ed25519)')! / base).toFixed(2)}x, OpenPGP ${(m.get('ctrsafe image verify (OpenPGP)')! / base).toFixed(2)}x (target: at most 1.2x)`,
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
