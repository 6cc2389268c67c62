// Reads a SIF file's header and descriptor table into a list of objects, checking every count, offset and size.
import * as fs from 'node:fs';
import { ImageFormatError } from '../image-entry.js';
import {
  archName,
  cryptoFormatName,
  cryptoMessageName,
  DataType,
  dataTypeName,
  DESC,
  DESCRIPTOR_SIZE,
  EXTRA_LEN,
  fsTypeName,
  GROUP_MASK,
  HDR,
  hashTypeName,
  HEADER_SIZE,
  NAME_LEN,
  PartType,
  partTypeName,
  sbomFormatName,
  SIF_MAGIC,
  SIF_VERSION,
  type FsTypeName,
  type PartTypeName,
} from './sif-format.js';

/**
 * More descriptors than any tool writes (sylabs/sif create.go defaults to 48); a larger count is hostile or corrupt.
 * Descriptors are read 64 at a time, so even this many costs no more memory than the objects themselves.
 */
export const MAX_DESCRIPTORS = 65536;

export type SifLink = { kind: 'group' | 'object'; id: number };

export interface SifObject {
  id: number;
  dataType: number;
  /** "partition", "signature", "sbom", ... (sif-format.ts dataTypeName). */
  type: string;
  /** Object group (1-based), null when the object belongs to none. */
  group: number | null;
  /** The group or object this one refers to (signatures: what they sign), null for none. */
  link: SifLink | null;
  offset: number;
  size: number;
  name: string;
  /** Partitions: file system, role and architecture. */
  fsType?: FsTypeName;
  partType?: PartTypeName;
  arch?: string;
  /** Signatures: hash algorithm, PGP v4 fingerprint (hex; null for DSSE/X.509) and envelope seen in the data. */
  hashType?: string;
  fingerprint?: string | null;
  signatureFormat?: 'pgp-clearsign' | 'dsse' | 'unknown';
  cryptoFormat?: string;
  cryptoMessage?: string;
  sbomFormat?: string;
  /** OCI root index and blob objects: "sha256:<hex>". */
  ociDigest?: string;
}

export interface SifSignature {
  /** The signature object's ID. */
  object: number;
  target: SifLink;
  /** IDs of the objects the link covers (a group's members or the one object); empty when it points nowhere. */
  covers: number[];
}

export interface SifInfo {
  fileSize: number;
  launchScript: string;
  version: string;
  arch: string;
  id: string;
  createdAt: number;
  modifiedAt: number;
  descriptorsFree: number;
  descriptorsTotal: number;
  descriptorsOffset: number;
  descriptorsSize: number;
  dataOffset: number;
  dataSize: number;
  /** Used descriptors, in table order. */
  objects: SifObject[];
  /** The primary system partition (PartPrimSys): what Apptainer and SingularityCE run. */
  primary: SifObject | null;
  /** Set when the SIF holds more than one primary system partition: which one runs is not defined. */
  ambiguousPrimary: string | null;
  /** Whether any signature object exists. Present is not verified: `apptainer verify` checks the keys. */
  hasSignatures: boolean;
  signatures: SifSignature[];
  /** Whether some signature object covers the primary partition. */
  primarySigned: boolean;
  /** Inconsistencies that do not stop the listing (free count, objects outside the data section, ...). */
  warnings: string[];
  /** The raw global header and each used descriptor (by object ID): what signatures hash (sif-integrity.ts). */
  raw: { header: Buffer; descriptors: Map<number, Buffer> };
}

function bad(msg: string): never {
  throw new ImageFormatError(`SIF: ${msg}`);
}

function readExact(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) bad(`file ends at byte ${pos + got}, ${len - got} bytes short`);
    got += n;
  }
  return buf;
}

/** An int64 field that is a count, offset or size: 0..2^53-1, or an error naming the field. */
function size64(b: Buffer, off: number, what: string): number {
  const v = b.readBigInt64LE(off);
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) bad(`${what} ${v} is out of range`);
  return Number(v);
}

function cstring(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul < 0 ? b : b.subarray(0, nul)).toString('utf8');
}

function uuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function signatureFormat(head: Buffer): SifObject['signatureFormat'] {
  const text = head.toString('latin1').trimStart();
  if (text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return 'pgp-clearsign';
  if (text.startsWith('{') && text.includes('"payloadType"')) return 'dsse'; // pkg/integrity/dsse.go
  return 'unknown';
}

function parseDescriptor(
  fd: number,
  d: Buffer,
  fileSize: number,
  table: { start: number; end: number },
  warnings: string[],
): SifObject {
  const id = d.readUInt32LE(DESC.id);
  const what = `object ${id}`;
  const offset = size64(d, DESC.offset, `${what} offset`);
  const size = size64(d, DESC.size, `${what} size`);
  if (offset + size > fileSize)
    bad(`${what} (${offset}+${size}) extends past the end of the ${fileSize}-byte file`);
  // An object over the header or the table would let one set of bytes mean two things.
  if (size > 0 && (offset < HEADER_SIZE || (offset < table.end && offset + size > table.start)))
    bad(`${what} at offset ${offset} overlaps the header or descriptor table`);
  const padded = d.readBigInt64LE(DESC.sizeWithPadding);
  if (padded < BigInt(size))
    warnings.push(`${what}: SizeWithPadding ${padded} is smaller than its size ${size}`);
  const dataType = d.readInt32LE(DESC.dataType);
  const rawGroup = d.readUInt32LE(DESC.groupId);
  const rawLink = d.readUInt32LE(DESC.linkedId);
  // descriptor.go: GroupID() strips the mask; LinkedID() names a group when all mask bits are set.
  const group = (rawGroup & ~GROUP_MASK) >>> 0;
  const linkIsGroup = (rawLink & GROUP_MASK) >>> 0 === GROUP_MASK;
  const linkId = linkIsGroup ? (rawLink & ~GROUP_MASK) >>> 0 : rawLink;
  const o: SifObject = {
    id,
    dataType,
    type: dataTypeName(dataType),
    group: group === 0 ? null : group,
    link: linkId === 0 ? null : { kind: linkIsGroup ? 'group' : 'object', id: linkId },
    offset,
    size,
    name: cstring(d.subarray(DESC.name, DESC.name + NAME_LEN)),
  };
  const extra = d.subarray(DESC.extra, DESC.extra + EXTRA_LEN);
  switch (dataType) {
    case DataType.Partition:
      o.fsType = fsTypeName(extra.readInt32LE(0));
      o.partType = partTypeName(extra.readInt32LE(4));
      o.arch = archName(extra.subarray(8, 11));
      break;
    case DataType.Signature: {
      o.hashType = hashTypeName(extra.readInt32LE(0));
      const fpr = extra.subarray(4, 24); // the first 20 bytes of Entity: a PGP v4 fingerprint, zero when none
      o.fingerprint = fpr.every((x) => x === 0) ? null : fpr.toString('hex');
      o.signatureFormat = signatureFormat(readExact(fd, offset, Math.min(size, 256)));
      break;
    }
    case DataType.CryptoMessage:
      o.cryptoFormat = cryptoFormatName(extra.readInt32LE(0));
      o.cryptoMessage = cryptoMessageName(extra.readInt32LE(4));
      break;
    case DataType.SBOM:
      o.sbomFormat = sbomFormatName(extra.readInt32LE(0));
      break;
    case DataType.OCIRootIndex:
    case DataType.OCIBlob:
      o.ociDigest = cstring(extra);
      break;
  }
  return o;
}

/** Parses a SIF file's header and descriptors; an inconsistency that could mislead a reader is an ImageFormatError. */
export function readSif(file: string): SifInfo {
  const fd = fs.openSync(file, 'r');
  try {
    return readSifFd(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** readSif on a descriptor the caller opened (and keeps open): the verifier reads the same open file throughout. */
export function readSifFd(fd: number): SifInfo {
  const st = fs.fstatSync(fd);
  if (!st.isFile()) bad('not a regular file');
  const fileSize = st.size;
  if (fileSize < HEADER_SIZE)
    bad(`truncated: ${fileSize} bytes, the global header alone needs ${HEADER_SIZE}`);
  const h = readExact(fd, 0, HEADER_SIZE);
  if (h.subarray(HDR.magic, HDR.magic + 10).toString('latin1') !== SIF_MAGIC)
    bad('no SIF_MAGIC at offset 32');
  const version = h.subarray(HDR.version, HDR.version + 3).toString('latin1');
  if (version !== SIF_VERSION)
    bad(`version ${JSON.stringify(cstring(Buffer.from(version, 'latin1')))} is not 01`);

  const total = size64(h, HDR.descriptorsTotal, 'DescriptorsTotal');
  if (total > MAX_DESCRIPTORS) bad(`DescriptorsTotal ${total} exceeds ${MAX_DESCRIPTORS}`);
  const descOffset = size64(h, HDR.descriptorsOffset, 'DescriptorsOffset');
  const descSize = size64(h, HDR.descriptorsSize, 'DescriptorsSize');
  if (descSize !== total * DESCRIPTOR_SIZE)
    bad(`DescriptorsSize ${descSize} is not ${total} descriptors × ${DESCRIPTOR_SIZE}`);
  if (descOffset < HEADER_SIZE) bad(`DescriptorsOffset ${descOffset} lies inside the global header`);
  if (descOffset + descSize > fileSize)
    bad(`descriptor table (${descOffset}+${descSize}) extends past the end of the ${fileSize}-byte file`);
  const dataOffset = size64(h, HDR.dataOffset, 'DataOffset');
  const dataSize = size64(h, HDR.dataSize, 'DataSize');
  if (dataOffset + dataSize > fileSize)
    bad(`data section (${dataOffset}+${dataSize}) extends past the end of the file`);
  const free = Number(h.readBigInt64LE(HDR.descriptorsFree));

  const warnings: string[] = [];
  const objects: SifObject[] = [];
  const descriptors = new Map<number, Buffer>();
  const ids = new Set<number>();
  const table = { start: descOffset, end: descOffset + descSize };
  for (let first = 0; first < total; first += 64) {
    const n = Math.min(64, total - first);
    const chunk = readExact(fd, descOffset + first * DESCRIPTOR_SIZE, n * DESCRIPTOR_SIZE);
    for (let i = 0; i < n; i++) {
      const d = chunk.subarray(i * DESCRIPTOR_SIZE, (i + 1) * DESCRIPTOR_SIZE);
      if (d[DESC.used] === 0) continue; // Go's bool: any other byte reads as true
      const o = parseDescriptor(fd, d, fileSize, table, warnings);
      if (o.id === 0) bad(`descriptor ${first + i} is in use but has object ID 0`);
      if (ids.has(o.id)) bad(`object ID ${o.id} is used by two descriptors`);
      ids.add(o.id);
      descriptors.set(o.id, Buffer.from(d));
      if (o.size > 0 && (o.offset < dataOffset || o.offset + o.size > dataOffset + dataSize))
        warnings.push(`object ${o.id} lies outside the data section`);
      objects.push(o);
    }
  }
  if (free !== total - objects.length)
    warnings.push(
      `DescriptorsFree is ${free}, but ${total - objects.length} of ${total} descriptors are free`,
    );

  const primaries = objects.filter(
    (o) => o.dataType === DataType.Partition && o.partType === partTypeName(PartType.PrimSys),
  );
  const ambiguousPrimary =
    primaries.length > 1
      ? `${primaries.length} primary system partitions (objects ${primaries.map((o) => o.id).join(', ')}): sylabs/sif refuses to choose, and only the first would be audited`
      : null;
  const primary = primaries[0] ?? null;

  // Indexed once: a table of many signatures and many objects must not cost their product.
  const byGroup = new Map<number, number[]>();
  const signable = new Set<number>();
  for (const o of objects) {
    if (o.dataType === DataType.Signature) continue;
    signable.add(o.id);
    if (o.group === null) continue;
    const members = byGroup.get(o.group);
    if (members) members.push(o.id);
    else byGroup.set(o.group, [o.id]);
  }
  const signatures: SifSignature[] = [];
  for (const s of objects.filter((o) => o.dataType === DataType.Signature)) {
    if (!s.link) {
      warnings.push(`signature object ${s.id} links to nothing`);
      continue;
    }
    const target = s.link;
    const covers =
      target.kind === 'group' ? (byGroup.get(target.id) ?? []) : signable.has(target.id) ? [target.id] : [];
    if (covers.length === 0)
      warnings.push(`signature object ${s.id} links to ${target.kind} ${target.id}, which holds no objects`);
    signatures.push({ object: s.id, target, covers });
  }
  return {
    fileSize,
    launchScript: cstring(h.subarray(HDR.launch, HDR.launch + 32)),
    version: '01',
    arch: archName(h.subarray(HDR.arch, HDR.arch + 3)),
    id: uuid(h.subarray(HDR.id, HDR.id + 16)),
    createdAt: Number(h.readBigInt64LE(HDR.createdAt)),
    modifiedAt: Number(h.readBigInt64LE(HDR.modifiedAt)),
    descriptorsFree: free,
    descriptorsTotal: total,
    descriptorsOffset: descOffset,
    descriptorsSize: descSize,
    dataOffset,
    dataSize,
    objects,
    primary,
    ambiguousPrimary,
    hasSignatures: objects.some((o) => o.dataType === DataType.Signature),
    signatures,
    primarySigned: primary !== null && signatures.some((s) => s.covers.includes(primary.id)),
    warnings,
    raw: { header: h, descriptors },
  };
}
