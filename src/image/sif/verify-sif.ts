// Verifies a SIF's signatures as `apptainer verify` does: the signed metadata's digests against the header, the
// descriptors and the objects (hashed in one read of the open file), and the signature against the site's keyring.
import * as fs from 'node:fs';
import { ImageFormatError } from '../image-entry.js';
import { verifyDsse } from './dsse-verify.js';
import type { Keyring } from './keyring.js';
import {
  digestObjects,
  type DigestOptions,
  type DigestRequest,
  type ObjectDigests,
} from './object-digests.js';
import { openpgp, readClearsigned, verifyClearsigned } from './pgp-verify.js';
import { readSifFd, type SifInfo, type SifObject } from './read-sif.js';
import { DataType } from './sif-format.js';
import {
  descriptorIntegrityBytes,
  hashBytes,
  headerIntegrityBytes,
  minIdsByRawGroup,
  parseImageMetadata,
  rawGroupId,
  type ImageMetadata,
} from './sif-integrity.js';
import {
  judgeSignatures,
  type SignatureCheck,
  type SignatureReport,
  type SignerKey,
} from './signature-verdict.js';
import { parseEnvelope, type SignatureEnvelope } from './signature-envelope.js';

/** Real signature objects are 1-2 KiB; a larger one is not from a signing tool. */
export const MAX_SIGNATURE_BYTES = 1024 * 1024;
export const MAX_SIGNATURE_OBJECTS = 64;

export interface VerifyOptions {
  keyring: Keyring | null;
  /** Date.now() past which hashing stops with an ImageFormatError. */
  deadline?: number;
  /** Hash the whole file too, in the same read (the gate's content digest). */
  wholeFile?: DigestOptions['wholeFile'];
}

/** One signature object on its way to a check. */
interface Pending {
  object: SifObject;
  check: SignatureCheck;
  envelope: SignatureEnvelope;
  clearsigned?: Awaited<ReturnType<typeof readClearsigned>>;
  metadata?: ImageMetadata;
  /** The group the signature links to, and its lowest object ID (the base of relative IDs). */
  group?: { id: number; minId: number };
}

function readObject(fd: number, o: SifObject): Buffer {
  const buf = Buffer.alloc(o.size);
  let got = 0;
  while (got < o.size) {
    const n = fs.readSync(fd, buf, got, o.size - got, o.offset + got);
    if (n === 0) throw new ImageFormatError(`SIF: the file ends inside signature object ${o.id}`);
    got += n;
  }
  return buf;
}

function newCheck(o: SifObject): SignatureCheck {
  return {
    object: o.id,
    format: 'unknown',
    legacy: false,
    target: o.link ? `${o.link.kind} ${o.link.id}` : null,
    covers: [],
    status: 'ignored',
    keys: [],
    signed_at: null,
    detail: '',
  };
}

const invalid = (p: Pending, detail: string) => {
  p.check.status = 'invalid';
  p.check.detail = detail;
};
const ignored = (p: Pending, detail: string) => {
  p.check.status = 'ignored';
  p.check.detail = detail;
};

/** Reads and unpacks one signature object; what it signs is known afterwards, nothing is verified yet. */
async function unpack(fd: number, info: SifInfo, o: SifObject): Promise<Pending> {
  const p: Pending = { object: o, check: newCheck(o), envelope: { format: 'unknown', reason: '' } };
  if (o.size > MAX_SIGNATURE_BYTES) {
    invalid(p, `${o.size} bytes, more than a signature holds (${MAX_SIGNATURE_BYTES})`);
    return p;
  }
  p.envelope = parseEnvelope(readObject(fd, o));
  p.check.format = p.envelope.format;
  if (p.envelope.format === 'unknown') {
    invalid(p, `holds ${p.envelope.reason}`);
    return p;
  }
  let text: string;
  if (p.envelope.format === 'pgp') {
    await openpgp(); // a library that fails to load is ctrsafe's fault, never the image's
    try {
      p.clearsigned = await readClearsigned(p.envelope.armored);
    } catch (e) {
      invalid(p, `not a readable OpenPGP clear-signed message (${(e as Error).message.split('\n')[0]})`);
      return p;
    }
    text = p.clearsigned.text;
  } else text = p.envelope.payload.toString('utf8');
  if (text.startsWith('SIFHASH:')) {
    p.check.legacy = true;
    ignored(p, 'a legacy (SIFHASH) signature: it covers object data only, no descriptor and no header');
    return p;
  }
  if (!o.link) {
    ignored(p, 'links to no object or group');
    return p;
  }
  if (o.link.kind === 'object') {
    ignored(
      p,
      `links to object ${o.link.id}, not to a group: apptainer verify considers group signatures only`,
    );
    return p;
  }
  // getGroupObjects: every object of the group, a signature object placed in it too (it must then be signed).
  const members = info.objects.filter((x) => x.group === o.link!.id);
  if (members.length === 0) {
    ignored(p, `links to group ${o.link.id}, which holds no objects`);
    return p;
  }
  // getGroupMinObjectID: the lowest ID among the group's objects.
  p.group = { id: o.link.id, minId: Math.min(...members.map((x) => x.id)) };
  try {
    p.metadata = parseImageMetadata(text);
  } catch (e) {
    invalid(p, (e as Error).message);
    return p;
  }
  p.check.covers = p.metadata.objects.map((m) => p.group!.minId + m.relativeId).sort((a, b) => a - b);
  p.check.status = 'untrusted-key'; // until the digests or the keys say otherwise
  return p;
}

/** Compares the signed digests with the image as it is now; the first difference is the signature's detail. */
function checkDigests(p: Pending, info: SifInfo, minIds: Map<number, number>, digests: ObjectDigests): void {
  const md = p.metadata!;
  if (hashBytes(md.headerDigest.alg, headerIntegrityBytes(info.raw.header)) !== md.headerDigest.hex)
    return invalid(p, 'the SIF header (launch script, magic, version or image ID) changed after signing');
  const byId = new Map(info.objects.map((o) => [o.id, o]));
  for (const m of md.objects) {
    const id = p.group!.minId + m.relativeId;
    const o = byId.get(id);
    if (!o || o.group !== p.group!.id)
      return invalid(p, `object ${id}, which it signed, is no longer in group ${p.group!.id}`);
    const desc = info.raw.descriptors.get(id)!;
    const rel = id - minIds.get(rawGroupId(desc))!;
    if (hashBytes(m.descriptorDigest.alg, descriptorIntegrityBytes(desc, rel)) !== m.descriptorDigest.hex)
      return invalid(p, `the descriptor of object ${id} changed after signing`);
    if (digests.get(id)?.get(m.objectDigest.alg) !== m.objectDigest.hex)
      return invalid(p, `the data of object ${id} changed after signing`);
  }
}

function descriptorFingerprint(o: SifObject): string | null {
  return o.fingerprint ? o.fingerprint.toUpperCase() : null;
}

/** Checks the signature itself against the keyring; digests that do not match were already judged invalid. */
async function checkKey(p: Pending, keyring: Keyring | null): Promise<void> {
  const stillHolds = p.check.status === 'untrusted-key';
  const set = (status: SignatureCheck['status'], keys: SignerKey[], detail: string) => {
    p.check.keys = keys;
    if (!stillHolds) return; // the digest mismatch stays the verdict; the keys are still worth showing
    p.check.status = status;
    p.check.detail = detail;
  };
  if (p.envelope.format === 'dsse') {
    const r = verifyDsse(
      p.envelope.payload,
      p.envelope.signatures,
      p.object.hashType ?? 'unknown',
      keyring?.pem ?? [],
    );
    if (r.status === 'valid')
      set(
        'valid',
        r.keys.map((k) => ({ fingerprint: k.fingerprint, kind: k.kind, trusted: true, file: k.file })),
        `DSSE envelope verified with ${r.keys.map((k) => `${k.algorithm} ${k.fingerprint}`).join(', ')}`,
      );
    else if (r.status === 'invalid')
      set(
        'invalid',
        [{ fingerprint: r.key.fingerprint, kind: r.key.kind, trusted: false, file: r.key.file }],
        r.reason,
      );
    else
      set(
        'untrusted-key',
        r.keyids.map((k) => ({ fingerprint: k, kind: 'unknown', trusted: false })),
        `no key in the keyring verifies the DSSE envelope${r.keyids.length ? ` (signed by ${r.keyids.join(', ')})` : ''}`,
      );
    return;
  }
  if (p.envelope.format !== 'pgp' || !p.clearsigned) return;
  const named = descriptorFingerprint(p.object) ?? p.clearsigned.keyIds[0] ?? 'unknown';
  const unknownKey: SignerKey = { fingerprint: named, kind: 'openpgp', trusted: false };
  const keys = keyring?.hasPgp ? await keyring.openpgpKeys() : [];
  const r = await verifyClearsigned(p.clearsigned, keys);
  p.check.signed_at = r.created ? r.created.toISOString() : null;
  if (r.status === 'no-key')
    return set('untrusted-key', [unknownKey], `signed by OpenPGP key ${named}, which is not in the keyring`);
  const key: SignerKey = {
    fingerprint: r.key.fingerprint,
    kind: 'openpgp',
    trusted: r.status === 'valid',
    ...(r.key.userId ? { user_id: r.key.userId } : {}),
    file: r.key.file,
  };
  if (r.status === 'key-unusable')
    return set('untrusted-key', [key], `OpenPGP key ${r.key.fingerprint} cannot be used now: ${r.reason}`);
  if (r.status === 'invalid')
    return set('invalid', [{ ...key, trusted: false }], `the OpenPGP signature does not verify: ${r.reason}`);
  // verify.go: the signing entity must be the one the descriptor names (errFingerprintMismatch).
  const fp = descriptorFingerprint(p.object);
  if (fp !== null && fp !== r.key.fingerprint)
    return set(
      'invalid',
      [{ ...key, trusted: false }],
      `signed by ${r.key.fingerprint}, but its descriptor names ${fp}`,
    );
  set(
    'valid',
    [key],
    `OpenPGP signature by ${r.key.fingerprint}${r.key.userId ? ` (${r.key.userId})` : ''} verified`,
  );
}

/** Verifies every signature of the SIF open at `fd` and returns the image's verdict. */
export async function verifySifFd(fd: number, opts: VerifyOptions): Promise<SignatureReport> {
  const info = readSifFd(fd);
  const keyring = opts.keyring ? { sources: opts.keyring.sources, digest: opts.keyring.digest } : null;
  // What must be covered: every non-signature object, and any object placed in a group (verify.go Verify).
  const data = info.objects
    .filter((o) => o.dataType !== DataType.Signature || o.group !== null)
    .map((o) => ({ id: o.id, group: o.group, primary: o === info.primary }));
  const sigObjects = info.objects.filter((o) => o.dataType === DataType.Signature);
  if (sigObjects.length === 0 && info.objects.some((o) => o.dataType === DataType.OCIRootIndex)) {
    // SingularityCE's OCI-SIF images are signed with cosign, as OCI blobs: not a SIF signature, and not checked.
    const r = judgeSignatures(data, [], keyring);
    return { ...r, reason: `${r.reason}; an OCI-SIF's own (cosign) signatures, if any, are not checked` };
  }
  if (sigObjects.length > MAX_SIGNATURE_OBJECTS) {
    const check = { ...newCheck(sigObjects[0]!), status: 'invalid' as const };
    check.detail = `the SIF holds ${sigObjects.length} signature objects, more than ${MAX_SIGNATURE_OBJECTS}`;
    return judgeSignatures(data, [check], keyring);
  }
  const minIds = minIdsByRawGroup(info.raw.descriptors);
  const pending: Pending[] = [];
  for (const o of sigObjects) pending.push(await unpack(fd, info, o));
  // One read: every object a signature lists, with every hash its digests name.
  const requests = new Map<number, DigestRequest>();
  const byId = new Map(info.objects.map((o) => [o.id, o]));
  for (const p of pending)
    for (const m of p.metadata?.objects ?? []) {
      const o = byId.get(p.group!.minId + m.relativeId);
      if (!o) continue;
      const r = requests.get(o.id) ?? { id: o.id, offset: o.offset, size: o.size, algs: new Set<string>() };
      r.algs.add(m.objectDigest.alg);
      requests.set(o.id, r);
    }
  const digests = digestObjects(fd, [...requests.values()], {
    ...(opts.deadline !== undefined ? { deadline: opts.deadline } : {}),
    ...(opts.wholeFile ? { wholeFile: opts.wholeFile } : {}),
  });
  for (const p of pending) {
    if (p.metadata) checkDigests(p, info, minIds, digests);
    if (p.check.status !== 'ignored') await checkKey(p, opts.keyring);
  }
  return judgeSignatures(
    data,
    pending.map((p) => p.check),
    keyring,
  );
}

/** verifySifFd on a path, opened read-only once. */
export async function verifySif(file: string, opts: VerifyOptions): Promise<SignatureReport> {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    return await verifySifFd(fd, opts);
  } finally {
    fs.closeSync(fd);
  }
}
