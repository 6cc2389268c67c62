// What a SIF signature covers, byte for byte: the header and descriptor fields sylabs/sif hashes, and the image
// metadata (digests by object) that a signature carries.
//
// Sources (sylabs/sif @4c44215, read, not copied): pkg/sif/sif.go header.GetIntegrityReader (launch script, magic,
// version, image ID: 61 bytes); pkg/sif/descriptor.go Descriptor.GetIntegrityReader (data type, used, the ID relative
// to the lowest ID of the object's group, linked ID, size, creation time, UID, GID, name, extra: little-endian and
// packed, 557 bytes; the offset, padded size, modification time and group ID are not covered); pkg/sif/load.go
// populateMinIDs (lowest ID per raw group ID over all used descriptors); pkg/integrity/metadata.go (imageMetadata:
// version 1, header digest, objects by relative ID); pkg/integrity/digest.go ("alg:hex" digests).
import { createHash } from 'node:crypto';
import { DESC, EXTRA_LEN, HDR, NAME_LEN } from './sif-format.js';

/** digest.go supportedDigestAlgorithms, as Node names them. */
const DIGEST_ALGORITHMS: Record<string, { node: string; bytes: number }> = {
  sha224: { node: 'sha224', bytes: 28 },
  sha256: { node: 'sha256', bytes: 32 },
  sha384: { node: 'sha384', bytes: 48 },
  sha512: { node: 'sha512', bytes: 64 },
  sha512_224: { node: 'sha512-224', bytes: 28 },
  sha512_256: { node: 'sha512-256', bytes: 32 },
};

export interface Digest {
  /** Node's hash name (sha256, sha512-256, ...). */
  alg: string;
  /** Lower-case hex. */
  hex: string;
}

export interface ObjectMetadata {
  relativeId: number;
  descriptorDigest: Digest;
  objectDigest: Digest;
}

export interface ImageMetadata {
  headerDigest: Digest;
  objects: ObjectMetadata[];
}

/** More objects than a SIF may hold (read-sif.ts MAX_DESCRIPTORS): metadata listing more is not from a real image. */
const MAX_METADATA_OBJECTS = 65536;

export function hashBytes(alg: string, ...parts: Buffer[]): string {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** The header fields a non-legacy signature covers: launch script, magic, version and image ID. */
export function headerIntegrityBytes(header: Buffer): Buffer {
  return Buffer.concat([
    header.subarray(HDR.launch, HDR.launch + 32),
    header.subarray(HDR.magic, HDR.magic + 10),
    header.subarray(HDR.version, HDR.version + 3),
    header.subarray(HDR.id, HDR.id + 16),
  ]);
}

/** The raw (masked) group ID of a descriptor, as populateMinIDs keys it. */
export function rawGroupId(descriptor: Buffer): number {
  return descriptor.readUInt32LE(DESC.groupId);
}

/** Lowest object ID per raw group ID over all used descriptors (the base of relative IDs). */
export function minIdsByRawGroup(descriptors: Map<number, Buffer>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [id, d] of descriptors) {
    const g = rawGroupId(d);
    const m = out.get(g);
    if (m === undefined || id < m) out.set(g, id);
  }
  return out;
}

/** The descriptor fields a non-legacy signature covers, encoded as Go's binary.Write packs them. */
export function descriptorIntegrityBytes(descriptor: Buffer, relativeId: number): Buffer {
  const b = Buffer.alloc(4 + 1 + 4 + 4 + 8 + 8 + 8 + 8 + NAME_LEN + EXTRA_LEN);
  let o = 0;
  descriptor.copy(b, o, DESC.dataType, DESC.dataType + 4);
  o += 4;
  // Used is a Go bool: any non-zero byte decodes as true and encodes again as 1 (encoding/binary).
  b[o++] = descriptor[DESC.used] === 0 ? 0 : 1;
  b.writeUInt32LE(relativeId >>> 0, o);
  o += 4;
  descriptor.copy(b, o, DESC.linkedId, DESC.linkedId + 4);
  o += 4;
  descriptor.copy(b, o, DESC.size, DESC.size + 8);
  o += 8;
  descriptor.copy(b, o, DESC.createdAt, DESC.createdAt + 8);
  o += 8;
  descriptor.copy(b, o, DESC.uid, DESC.uid + 8);
  o += 8;
  descriptor.copy(b, o, DESC.gid, DESC.gid + 8);
  o += 8;
  descriptor.copy(b, o, DESC.name, DESC.name + NAME_LEN + EXTRA_LEN);
  return b;
}

/** "sha256:<hex>" as digest.go writes it; anything else is an Error naming the problem. */
export function parseDigest(v: unknown, where: string): Digest {
  if (typeof v !== 'string') throw new Error(`${where} is not a digest string`);
  const parts = v.split(':');
  const alg = parts.length === 2 ? DIGEST_ALGORITHMS[parts[0]!] : undefined;
  if (!alg)
    throw new Error(`${where} ${JSON.stringify(v.slice(0, 40))} is not "alg:hex" with a supported hash`);
  const hex = parts[1]!.toLowerCase();
  if (!/^[0-9a-f]*$/.test(hex) || hex.length !== alg.bytes * 2)
    throw new Error(`${where} does not hold a ${alg.bytes}-byte hex digest`);
  return { alg: alg.node, hex };
}

/**
 * Go's encoding/json matches field names case-insensitively, JSON.parse does not: a key spelled differently from
 * the field it would fill in Go is refused, so no metadata can mean one thing to Apptainer and another here.
 */
function fields(v: unknown, where: string, known: string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where} is not an object`);
  const o = v as Record<string, unknown>;
  const lower = new Map(known.map((k) => [k.toLowerCase(), k]));
  for (const k of Object.keys(o)) {
    const meant = lower.get(k.toLowerCase());
    if (meant !== undefined && meant !== k) throw new Error(`${where} spells "${meant}" as "${k}"`);
  }
  return o;
}

/** Parses and bounds the JSON image metadata a non-legacy signature signs. */
export function parseImageMetadata(text: string): ImageMetadata {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('the signed metadata is not JSON');
  }
  const top = fields(doc, 'the signed metadata', ['version', 'header', 'objects']);
  if (top.version !== 1) throw new Error(`signed metadata version ${JSON.stringify(top.version)} is not 1`);
  const header = fields(top.header, 'header', ['digest']);
  const headerDigest = parseDigest(header.digest, 'header digest');
  if (!Array.isArray(top.objects) || top.objects.length === 0 || top.objects.length > MAX_METADATA_OBJECTS)
    throw new Error(`the signed metadata lists no objects, or more than ${MAX_METADATA_OBJECTS}`);
  const seen = new Set<number>();
  const objects = top.objects.map((x: unknown, i: number): ObjectMetadata => {
    const o = fields(x, `objects[${i}]`, ['relativeId', 'descriptorDigest', 'objectDigest']);
    const rel = o.relativeId;
    if (typeof rel !== 'number' || !Number.isInteger(rel) || rel < 0 || rel > 0xffffffff)
      throw new Error(`objects[${i}].relativeId is not a 32-bit object ID offset`);
    if (seen.has(rel)) throw new Error(`objects[${i}]: relative ID ${rel} is listed twice`);
    seen.add(rel);
    return {
      relativeId: rel,
      descriptorDigest: parseDigest(o.descriptorDigest, `objects[${i}].descriptorDigest`),
      objectDigest: parseDigest(o.objectDigest, `objects[${i}].objectDigest`),
    };
  });
  return { headerDigest, objects };
}
