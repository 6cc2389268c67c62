// Signs test SIFs with keys made in the test: the image metadata JSON of a group, in a DSSE envelope (Node's crypto)
// or an OpenPGP clear-signed message (openpgp.js), laid out as sylabs/sif's integrity package writes them.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as openpgp from 'openpgp';
import { readSif } from '../../src/image/sif/read-sif.js';
import {
  descriptorIntegrityBytes,
  hashBytes,
  headerIntegrityBytes,
  minIdsByRawGroup,
  rawGroupId,
} from '../../src/image/sif/sif-integrity.js';
import { preAuthEncoding, SIF_METADATA_MEDIA_TYPE } from '../../src/image/sif/signature-envelope.js';
import { DT, signatureExtra, writeSif, type SifObjectSpec } from './write-sif.js';

/** The metadata JSON sylabs/sif signs for `ids` of group `group` in `file` (metadata.go getImageMetadata). */
export function metadataFor(file: string, group: number, ids?: number[]): string {
  const info = readSif(file);
  const buf = fs.readFileSync(file);
  const members = info.objects.filter((o) => o.group === group && o.type !== 'signature');
  const minId = Math.min(...members.map((o) => o.id));
  const mins = minIdsByRawGroup(info.raw.descriptors);
  const objects = members
    .filter((o) => !ids || ids.includes(o.id))
    .map((o) => {
      const d = info.raw.descriptors.get(o.id)!;
      return {
        relativeId: o.id - minId,
        descriptorDigest: `sha256:${hashBytes('sha256', descriptorIntegrityBytes(d, o.id - mins.get(rawGroupId(d))!))}`,
        objectDigest: `sha256:${hashBytes('sha256', buf.subarray(o.offset, o.offset + o.size))}`,
      };
    });
  return JSON.stringify({
    version: 1,
    header: { digest: `sha256:${hashBytes('sha256', headerIntegrityBytes(info.raw.header))}` },
    objects,
  });
}

export function ed25519Pair(): { publicKey: KeyObject; privateKey: KeyObject; pem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey, privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function dsseEnvelope(payload: string, privateKey: KeyObject, keyid = ''): Buffer {
  const body = Buffer.from(payload);
  const sig = sign(null, preAuthEncoding(SIF_METADATA_MEDIA_TYPE, body), privateKey);
  return Buffer.from(
    JSON.stringify({
      payloadType: SIF_METADATA_MEDIA_TYPE,
      payload: body.toString('base64'),
      signatures: [{ keyid, sig: sig.toString('base64') }],
    }),
  );
}

export interface PgpPair {
  publicArmored: string;
  privateKey: openpgp.PrivateKey;
  fingerprint: string;
}

export async function pgpPair(name = 'Test Signer'): Promise<PgpPair> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name, email: 'signer@example.org' }],
    format: 'object',
  });
  return {
    publicArmored: publicKey.armor(),
    privateKey,
    fingerprint: publicKey.getFingerprint().toUpperCase(),
  };
}

export async function clearsign(text: string, key: openpgp.PrivateKey): Promise<Buffer> {
  const message = await openpgp.createCleartextMessage({ text });
  return Buffer.from(await openpgp.sign({ message, signingKeys: key }));
}

/**
 * Writes `objects` to `out`, signs group 1 (or `ids` of it) with `envelope`, and writes the image again with the
 * signature object appended; `mutate` may alter the signed image's bytes afterwards.
 */
export async function writeSignedSif(
  out: string,
  objects: SifObjectSpec[],
  envelope: (metadata: string) => Promise<Buffer> | Buffer,
  opts: { ids?: number[]; sig?: Partial<SifObjectSpec>; mutate?: (b: Buffer) => void } = {},
): Promise<string> {
  writeSif(out, objects);
  const data = await envelope(metadataFor(out, 1, opts.ids));
  writeSif(
    out,
    [...objects, { type: DT.signature, data, link: { group: 1 }, extra: signatureExtra(), ...opts.sig }],
    opts.mutate ? { mutate: opts.mutate } : {},
  );
  fs.chmodSync(out, 0o644);
  return out;
}
