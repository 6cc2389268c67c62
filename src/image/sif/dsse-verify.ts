// Verifies a SIF DSSE envelope with the keyring's PEM keys, by Node's crypto, as sigstore's verifiers do for
// `apptainer verify --key`: Ed25519 over the message, RSA PKCS #1 v1.5 and ECDSA (ASN.1) over its hash.
//
// sylabs/sif pkg/integrity/dsse.go verifies with threshold 1: the envelope holds when one signature verifies with one
// of the given keys; signatures by other keys are not errors.
import { constants, verify } from 'node:crypto';
import type { PemKey } from './keyring.js';
import { preAuthEncoding, SIF_METADATA_MEDIA_TYPE, type DsseSignature } from './signature-envelope.js';

export type DsseCheck =
  | { status: 'valid'; keys: PemKey[] }
  /** No keyring key verifies any signature, and none of the envelope's key IDs names a keyring key. */
  | { status: 'no-key'; keyids: string[] }
  /** A signature names a keyring key (by key ID) that does not verify it: the envelope was altered. */
  | { status: 'invalid'; key: PemKey; reason: string };

const HASHES = new Set(['sha256', 'sha384', 'sha512']);

function verifies(key: PemKey, hash: string | null, data: Buffer, sig: Buffer): boolean {
  try {
    if (key.kind === 'ed25519') return verify(null, data, key.key, sig);
    if (hash === null) return false;
    if (key.kind === 'rsa')
      return verify(hash, data, { key: key.key, padding: constants.RSA_PKCS1_PADDING }, sig);
    return verify(hash, data, { key: key.key, dsaEncoding: 'der' }, sig);
  } catch {
    return false; // a signature of the wrong length or encoding for this key
  }
}

/**
 * @param hashType the signature descriptor's hash type (sif-format.ts hashTypeName): the hash RSA and ECDSA
 *   signatures were made over; Ed25519 takes none.
 */
export function verifyDsse(
  payload: Buffer,
  signatures: DsseSignature[],
  hashType: string,
  keys: PemKey[],
): DsseCheck {
  const data = preAuthEncoding(SIF_METADATA_MEDIA_TYPE, payload);
  const hash = HASHES.has(hashType) ? hashType : null;
  const good = keys.filter((k) => signatures.some((s) => verifies(k, hash, data, s.sig)));
  if (good.length > 0) return { status: 'valid', keys: good };
  for (const s of signatures) {
    const named = keys.find((k) => k.fingerprint === s.keyid);
    if (named)
      return {
        status: 'invalid',
        key: named,
        reason:
          hash === null && named.kind !== 'ed25519'
            ? `its hash type ${hashType} is not one RSA or ECDSA signatures are made with`
            : `the signature by ${named.fingerprint} does not match the signed metadata`,
      };
  }
  return { status: 'no-key', keyids: signatures.map((s) => s.keyid).filter((k) => k !== '') };
}
