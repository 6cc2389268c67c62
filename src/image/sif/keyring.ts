// The keys a site trusts to sign images: armored OpenPGP and PEM public keys from files or a directory, read bounded.
//
// PEM keys (Ed25519, RSA, ECDSA P-256/384/521: what sigstore's LoadVerifier takes for `apptainer verify --key`) are
// parsed at once by Node's crypto; OpenPGP keys only when a PGP signature needs them (openpgp.js costs ~100 ms to
// load). A PEM key's fingerprint is its SSH-style SHA256 fingerprint (`ssh-keygen -l`), which is also the keyid
// sigstore writes into DSSE envelopes; an OpenPGP key's is its v4/v6 fingerprint in upper-case hex.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../errors.js';
import { openpgp, readPgpPublicKeys, type PgpPublicKey } from './pgp-verify.js';

/** The gate's keyring when none is named. */
export const DEFAULT_KEYRING = '/etc/ctrsafe/keys';
export const MAX_KEY_FILE_BYTES = 1024 * 1024;
export const MAX_KEY_FILES = 256;

export type PemKeyKind = 'ed25519' | 'rsa' | 'ecdsa';

export interface PemKey {
  kind: PemKeyKind;
  fingerprint: string;
  /** "RSA 4096", "ECDSA P-256", "Ed25519". */
  algorithm: string;
  file: string;
  key: KeyObject;
}

export interface TrustedKeyInfo {
  kind: 'openpgp' | PemKeyKind;
  fingerprint: string;
  algorithm: string;
  userId: string | null;
  file: string;
}

interface PgpBlock {
  file: string;
  armored: string;
}

const CURVES: Record<string, { name: string; ssh: string }> = {
  prime256v1: { name: 'P-256', ssh: 'nistp256' },
  secp384r1: { name: 'P-384', ssh: 'nistp384' },
  secp521r1: { name: 'P-521', ssh: 'nistp521' },
};

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** An SSH mpint: big-endian, no leading zeros, a zero byte in front when the top bit is set (RFC 4251 section 5). */
function sshMpint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return sshString(v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

/** SHA256 over the SSH wire encoding of the key (RFC 4253 section 6.6, RFC 5656 section 3.1, RFC 8709 section 4). */
export function sshFingerprint(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  const b64 = (v: string | undefined) => Buffer.from(v ?? '', 'base64url');
  let wire: Buffer;
  if (key.asymmetricKeyType === 'ed25519')
    wire = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(b64(jwk.x))]);
  else if (key.asymmetricKeyType === 'rsa')
    wire = Buffer.concat([sshString(Buffer.from('ssh-rsa')), sshMpint(b64(jwk.e)), sshMpint(b64(jwk.n))]);
  else {
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? '']!;
    wire = Buffer.concat([
      sshString(Buffer.from(`ecdsa-sha2-${curve.ssh}`)),
      sshString(Buffer.from(curve.ssh)),
      sshString(Buffer.concat([Buffer.from([4]), b64(jwk.x), b64(jwk.y)])),
    ]);
  }
  return `SHA256:${createHash('sha256').update(wire).digest('base64').replace(/=+$/, '')}`;
}

function pemKey(file: string, pem: string): PemKey {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (e) {
    throw new InputError(`${file}: not a readable PEM public key (${(e as Error).message.split('\n')[0]})`);
  }
  const t = key.asymmetricKeyType;
  if (t === 'ed25519')
    return { kind: 'ed25519', algorithm: 'Ed25519', fingerprint: sshFingerprint(key), file, key };
  if (t === 'rsa')
    return {
      kind: 'rsa',
      algorithm: `RSA ${key.asymmetricKeyDetails?.modulusLength ?? '?'}`,
      fingerprint: sshFingerprint(key),
      file,
      key,
    };
  const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (t === 'ec' && curve)
    return { kind: 'ecdsa', algorithm: `ECDSA ${curve.name}`, fingerprint: sshFingerprint(key), file, key };
  throw new InputError(
    `${file}: a ${t}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''} key cannot verify SIF signatures (Ed25519, RSA, ECDSA P-256/384/521)`,
  );
}

/** Splits a key file into its armored blocks; anything but public keys is a one-line error naming the file. */
function readBlocks(file: string, text: string, pem: PemKey[], pgp: PgpBlock[]): void {
  const re = /-----BEGIN ([A-Z0-9 ]{1,40})-----[\s\S]*?-----END \1-----/g;
  let found = 0;
  for (const m of text.matchAll(re)) {
    found++;
    const label = m[1]!;
    if (label === 'PGP PUBLIC KEY BLOCK') pgp.push({ file, armored: m[0] });
    else if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY') pem.push(pemKey(file, m[0]));
    else if (label.includes('PRIVATE KEY'))
      throw new InputError(`${file}: holds a private key; a keyring holds public keys only`);
    else if (label === 'CERTIFICATE')
      throw new InputError(
        `${file}: an X.509 certificate; give its public key (openssl x509 -pubkey -noout -in ${path.basename(file)})`,
      );
    else throw new InputError(`${file}: a "${label}" block is not a public key`);
  }
  if (found === 0)
    throw new InputError(
      `${file}: no armored OpenPGP public key or PEM public key (export OpenPGP keys with gpg --armor --export)`,
    );
}

/**
 * Whoever can write a trusted key can sign anything: a key file or directory must belong to root or to the user
 * running ctrsafe and be writable by nobody else.
 */
function checkOwner(p: string, st: fs.Stats): void {
  const me = process.geteuid?.() ?? st.uid;
  if ((st.uid !== 0 && st.uid !== me) || (st.mode & 0o022) !== 0)
    throw new InputError(
      `${p}: owned by uid ${st.uid} with mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}; trusted keys must belong to root${me !== 0 ? ' or you' : ''} and be writable by no one else`,
    );
}

/** Reads one key file without following a link at its last component, bounded in size. */
function readKeyFile(p: string): string {
  let fd: number;
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      `${p}: ${code === 'ELOOP' ? 'is a symbolic link; put the key file itself in the keyring' : code === 'ENOENT' ? 'does not exist' : (e as Error).message}`,
    );
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new InputError(`${p}: not a regular file`);
    checkOwner(p, st);
    if (st.size > MAX_KEY_FILE_BYTES)
      throw new InputError(`${p}: ${st.size} bytes, more than a key file holds (${MAX_KEY_FILE_BYTES})`);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('latin1');
  } finally {
    fs.closeSync(fd);
  }
}

export type KeyringPgpKey = PgpPublicKey & { file: string };

export class Keyring {
  private pgpKeys: Promise<KeyringPgpKey[]> | null = null;

  constructor(
    /** What was named on the command line (or the default). */
    readonly sources: string[],
    /** sha256 over every key file's name and bytes: the gate keys its verdict cache on it. */
    readonly digest: string,
    readonly pem: PemKey[],
    private readonly pgpBlocks: PgpBlock[],
  ) {}

  get hasPgp(): boolean {
    return this.pgpBlocks.length > 0;
  }

  /** The OpenPGP keys, parsed on first use; a bad block is a one-line error naming its file. */
  openpgpKeys(): Promise<KeyringPgpKey[]> {
    this.pgpKeys ??= (async () => {
      const out: KeyringPgpKey[] = [];
      if (this.pgpBlocks.length) await openpgp(); // a load failure is ctrsafe's, not a key file's
      for (const b of this.pgpBlocks) {
        try {
          for (const k of await readPgpPublicKeys(b.armored)) out.push({ ...k, file: b.file });
        } catch (e) {
          if (e instanceof InputError) throw e;
          throw new InputError(
            `${b.file}: not a readable OpenPGP public key (${(e as Error).message.split('\n')[0]})`,
          );
        }
      }
      return out;
    })();
    return this.pgpKeys;
  }

  /** Every key with its fingerprint (parses the OpenPGP keys). */
  async list(): Promise<TrustedKeyInfo[]> {
    const pgp = await this.openpgpKeys();
    return [
      ...pgp.map((k) => ({
        kind: 'openpgp' as const,
        fingerprint: k.fingerprint,
        algorithm: k.algorithm,
        userId: k.userId,
        file: k.file,
      })),
      ...this.pem.map((k) => ({
        kind: k.kind,
        fingerprint: k.fingerprint,
        algorithm: k.algorithm,
        userId: null,
        file: k.file,
      })),
    ];
  }
}

/**
 * Loads a keyring from files and directories. In a directory every regular file but dot-files must be a key file;
 * links, subdirectories and more than MAX_KEY_FILES files are refused, each with a one-line error naming the path.
 */
export function loadKeyring(sources: string[]): Keyring {
  const files: string[] = [];
  for (const src of sources) {
    let st: fs.Stats;
    try {
      st = fs.statSync(src);
    } catch (e) {
      throw new InputError(
        `${src}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such keyring file or directory' : (e as Error).message}`,
      );
    }
    if (st.isDirectory()) {
      checkOwner(src, st);
      const names = fs
        .readdirSync(src)
        .filter((n) => !n.startsWith('.'))
        .sort();
      if (names.length > MAX_KEY_FILES)
        throw new InputError(`${src}: ${names.length} files, more than a keyring holds (${MAX_KEY_FILES})`);
      files.push(...names.map((n) => path.join(src, n)));
    } else files.push(src);
  }
  if (files.length > MAX_KEY_FILES)
    throw new InputError(`${files.length} key files, more than a keyring holds (${MAX_KEY_FILES})`);
  const pem: PemKey[] = [];
  const pgp: PgpBlock[] = [];
  const h = createHash('sha256');
  for (const f of files) {
    const text = readKeyFile(f);
    h.update(`${f}\0${text.length}\0`).update(text, 'latin1');
    readBlocks(f, text, pem, pgp);
  }
  return new Keyring(sources, h.digest('hex'), pem, pgp);
}
