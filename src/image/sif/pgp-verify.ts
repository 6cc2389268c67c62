// OpenPGP through openpgp.js, loaded only when a PGP key or a PGP signature is actually read (it costs ~100 ms).
//
// What sylabs/sif pkg/integrity/clearsign.go does with go-crypto, done with openpgp.js: the clear-signed text is
// checked against the keyring (CheckDetachedSignatureAndHash, SHA-224/256/384/512 only), and the signing key must
// be valid now. go-crypto judges the key at verification time; openpgp.js judges it at the signature's creation time
// unless allowInsecureVerificationWithReformattedKeys lets a key whose self-signatures were re-made later (the
// sylabs/sif test key was, in 2022, after its images were signed in 2020) count when it is valid now.
import type * as OpenPgp from 'openpgp';

type OpenPgpModule = typeof OpenPgp;
let loading: Promise<OpenPgpModule> | null = null;

/** The openpgp module, imported once on first use. */
export function openpgp(): Promise<OpenPgpModule> {
  loading ??= import('openpgp');
  return loading;
}

export interface PgpPublicKey {
  /** Primary key fingerprint, 40 upper-case hex digits (as `apptainer key list` and ecl.toml write it). */
  fingerprint: string;
  userId: string | null;
  algorithm: string;
  key: OpenPgp.PublicKey;
}

/** Every public key in an armored block; a private key is refused (a keyring holds what verifies, nothing more). */
export async function readPgpPublicKeys(armored: string): Promise<PgpPublicKey[]> {
  const pgp = await openpgp();
  const keys = await pgp.readKeys({ armoredKeys: armored });
  return keys.map((k) => {
    if (k.isPrivate()) throw new Error('it holds a private key; give the public key (gpg --armor --export)');
    const info = k.getAlgorithmInfo();
    return {
      fingerprint: k.getFingerprint().toUpperCase(),
      userId: k.getUserIDs()[0] ?? null,
      algorithm: `${info.algorithm}${info.bits ? ` ${info.bits}` : info.curve ? ` ${info.curve}` : ''}`,
      key: k as OpenPgp.PublicKey,
    };
  });
}

export interface ClearsignedMessage {
  /** The signed text (for SIF: the image metadata JSON, or a legacy "SIFHASH:" digest). */
  text: string;
  /** Issuer key IDs (16 hex) of the signatures it carries. */
  keyIds: string[];
  issuers: OpenPgp.KeyID[];
  message: OpenPgp.CleartextMessage;
}

export async function readClearsigned(armored: string): Promise<ClearsignedMessage> {
  const pgp = await openpgp();
  const message = await pgp.readCleartextMessage({ cleartextMessage: armored });
  const issuers = message.getSigningKeyIDs();
  return { text: message.getText(), keyIds: issuers.map((k) => k.toHex().toUpperCase()), issuers, message };
}

export type PgpCheck<K extends PgpPublicKey = PgpPublicKey> =
  | { status: 'valid'; key: K; created: Date | null }
  /** No key in the keyring has the issuer's key ID. */
  | { status: 'no-key'; created: Date | null }
  /** A keyring key matched but is not usable now (expired, revoked, not for signing): not a forgery. */
  | { status: 'key-unusable'; key: K; created: Date | null; reason: string }
  | { status: 'invalid'; key: K; created: Date | null; reason: string };

/** openpgp.js messages for a signature that does not match its data (src/packet/signature.js, crypto/signature.js). */
const MISMATCH = /digest did not match|signature verification failed|invalid signature|malformed/i;

/** Verifies the first signature of a clear-signed message with the keyring's OpenPGP keys. */
export async function verifyClearsigned<K extends PgpPublicKey>(
  msg: ClearsignedMessage,
  keys: K[],
): Promise<PgpCheck<K>> {
  const pgp = await openpgp();
  const issuer = msg.issuers[0];
  // The signature packets are a property the typings leave out (openpgp.js src/cleartext.js).
  const carried = (msg.message as unknown as { signature?: OpenPgp.Signature }).signature;
  let created = carried?.packets[0]?.created ?? null;
  const signer = issuer === undefined ? undefined : keys.find((k) => k.key.getKeys(issuer).length > 0);
  if (!signer) return { status: 'no-key', created };
  const result = await pgp.verify({
    message: msg.message,
    verificationKeys: [signer.key],
    expectSigned: false,
    config: {
      allowInsecureVerificationWithReformattedKeys: true,
      // clearsign.go's expectedHashes: SHA-224, SHA-256, SHA-384, SHA-512; openpgp.js rejects weaker ones itself.
      rejectMessageHashAlgorithms: new Set([
        pgp.enums.hash.md5,
        pgp.enums.hash.sha1,
        pgp.enums.hash.ripemd,
        pgp.enums.hash.sha3_256,
        pgp.enums.hash.sha3_512,
      ]),
    },
  });
  const first = result.signatures[0];
  if (!first) return { status: 'invalid', key: signer, created, reason: 'the message carries no signature' };
  try {
    created = (await first.signature).packets[0]?.created ?? null;
  } catch {
    created = null;
  }
  try {
    await first.verified;
    return { status: 'valid', key: signer, created };
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0]!.slice(0, 200);
    return MISMATCH.test(reason)
      ? { status: 'invalid', key: signer, created, reason }
      : { status: 'key-unusable', key: signer, created, reason };
  }
}
