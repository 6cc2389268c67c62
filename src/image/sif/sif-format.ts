// The SIF on-disk layout: header and descriptor field offsets and the enumerations, as sylabs/sif defines them.
//
// Sources (sylabs/sif @4c44215, mirrored by apptainer/sif): pkg/sif/sif.go (header, DataType, FSType, PartType,
// hashType, FormatType, MessageType, SBOMFormat, descrGroupMask), pkg/sif/descriptor.go (rawDescriptor and the
// "extra" structs), pkg/sif/arch.go. Go's encoding/binary writes them packed and little-endian.

export const SIF_MAGIC = 'SIF_MAGIC\0';
export const SIF_VERSION = '01\0';

/** Global header: 128 bytes at offset 0. */
export const HEADER_SIZE = 128;
export const HDR = {
  launch: 0, // [32]byte
  magic: 32, // [10]byte
  version: 42, // [3]byte
  arch: 45, // [3]byte
  id: 48, // [16]byte UUID
  createdAt: 64,
  modifiedAt: 72,
  descriptorsFree: 80,
  descriptorsTotal: 88,
  descriptorsOffset: 96,
  descriptorsSize: 104,
  dataOffset: 112,
  dataSize: 120,
} as const;

/** One descriptor: 585 bytes, DescriptorsTotal of them at DescriptorsOffset. */
export const DESCRIPTOR_SIZE = 585;
export const DESC = {
  dataType: 0, // int32
  used: 4, // bool
  id: 5, // uint32
  groupId: 9, // uint32, stored | 0xf0000000
  linkedId: 13, // uint32, | 0xf0000000 when it names a group
  offset: 17, // int64
  size: 25, // int64
  sizeWithPadding: 33, // int64
  createdAt: 41,
  modifiedAt: 49,
  uid: 57, // deprecated
  gid: 65, // deprecated
  name: 73, // [128]byte
  extra: 201, // [384]byte
} as const;
export const NAME_LEN = 128;
export const EXTRA_LEN = 384;

/** descrGroupMask: group IDs and group links carry these bits. */
export const GROUP_MASK = 0xf0000000;

export const DataType = {
  Deffile: 0x4001,
  EnvVar: 0x4002,
  Labels: 0x4003,
  Partition: 0x4004,
  Signature: 0x4005,
  GenericJSON: 0x4006,
  Generic: 0x4007,
  CryptoMessage: 0x4008,
  SBOM: 0x4009,
  OCIRootIndex: 0x400a,
  OCIBlob: 0x400b,
} as const;

const DATA_TYPE_NAMES: Record<number, string> = {
  0x4001: 'deffile',
  0x4002: 'envvars',
  0x4003: 'labels',
  0x4004: 'partition',
  0x4005: 'signature',
  0x4006: 'generic-json',
  0x4007: 'generic',
  0x4008: 'crypto-message',
  0x4009: 'sbom',
  0x400a: 'oci-root-index',
  0x400b: 'oci-blob',
};

export function dataTypeName(t: number): string {
  return DATA_TYPE_NAMES[t] ?? `unknown(0x${(t >>> 0).toString(16)})`;
}

export type FsTypeName = 'squashfs' | 'ext3' | 'archive' | 'raw' | 'encrypted-squashfs' | 'unknown';
export const FsType = { Squashfs: 1, Ext3: 2, ImmuObj: 3, Raw: 4, EncryptedSquashfs: 5 } as const;
const FS_NAMES: Record<number, FsTypeName> = {
  1: 'squashfs',
  2: 'ext3',
  3: 'archive',
  4: 'raw',
  5: 'encrypted-squashfs', // LUKS2 around squashfs ("encryptfs" in Singularity's own words)
};
export function fsTypeName(t: number): FsTypeName {
  return FS_NAMES[t] ?? 'unknown';
}

export type PartTypeName = 'system' | 'primary-system' | 'data' | 'overlay' | 'unknown';
export const PartType = { System: 1, PrimSys: 2, Data: 3, Overlay: 4 } as const;
const PART_NAMES: Record<number, PartTypeName> = {
  1: 'system',
  2: 'primary-system',
  3: 'data',
  4: 'overlay',
};
export function partTypeName(t: number): PartTypeName {
  return PART_NAMES[t] ?? 'unknown';
}

const HASH_NAMES: Record<number, string> = {
  1: 'sha256',
  2: 'sha384',
  3: 'sha512',
  4: 'blake2s',
  5: 'blake2b',
};
export function hashTypeName(t: number): string {
  return HASH_NAMES[t] ?? 'unknown';
}

const FORMAT_NAMES: Record<number, string> = { 1: 'openpgp', 2: 'pem' };
const MESSAGE_NAMES: Record<number, string> = { 0x100: 'clear-signature', 0x200: 'rsa-oaep' };
export function cryptoFormatName(t: number): string {
  return FORMAT_NAMES[t] ?? 'unknown';
}
export function cryptoMessageName(t: number): string {
  return MESSAGE_NAMES[t] ?? 'unknown';
}

const SBOM_NAMES: Record<number, string> = {
  1: 'cyclonedx-json',
  2: 'cyclonedx-xml',
  3: 'github-json',
  4: 'spdx-json',
  5: 'spdx-rdf',
  6: 'spdx-tag-value',
  7: 'spdx-yaml',
  8: 'syft-json',
};
export function sbomFormatName(t: number): string {
  return SBOM_NAMES[t] ?? 'unknown';
}

/** The 3-byte architecture codes ("02\0" = amd64) mapped to Go's GOARCH names, as arch.go does. */
const ARCH_NAMES: Record<string, string> = {
  '01': '386',
  '02': 'amd64',
  '03': 'arm',
  '04': 'arm64',
  '05': 'ppc64',
  '06': 'ppc64le',
  '07': 'mips',
  '08': 'mipsle',
  '09': 'mips64',
  '10': 'mips64le',
  '11': 's390x',
  '12': 'riscv64',
  '13': 'loong64',
};
export function archName(code: Buffer): string {
  if (code.length !== 3 || code[2] !== 0) return 'unknown';
  return ARCH_NAMES[code.subarray(0, 2).toString('latin1')] ?? 'unknown';
}

/** Reverse lookup for writers (tests): "amd64" -> "02\0". */
export function archCode(name: string): Buffer {
  const code = Object.entries(ARCH_NAMES).find(([, n]) => n === name)?.[0] ?? '00';
  return Buffer.from(code + '\0', 'latin1');
}
