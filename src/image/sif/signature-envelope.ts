// Tells the two envelopes a SIF signature object holds apart and unpacks a DSSE one (no cryptography here).
//
// sylabs/sif pkg/integrity/dsse.go: a DSSE envelope whose payloadType is the SIF metadata media type, signed with
// sigstore's DSSE wrapper (its keyid is the key's SSH-style SHA256 fingerprint); pkg/integrity/clearsign.go: an
// OpenPGP clear-signed message (RFC 4880 section 7). The DSSE pre-authentication encoding is the DSSE protocol's
// (github.com/secure-systems-lab/dsse, protocol.md: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body).

export const SIF_METADATA_MEDIA_TYPE = 'application/vnd.sylabs.sif-metadata+json';
const CLEARSIGN_START = '-----BEGIN PGP SIGNED MESSAGE-----';
/** Real envelopes hold one or two signatures; more than this is not from a signing tool. */
const MAX_DSSE_SIGNATURES = 32;

export interface DsseSignature {
  keyid: string;
  sig: Buffer;
}

export type SignatureEnvelope =
  | { format: 'dsse'; payload: Buffer; signatures: DsseSignature[] }
  | { format: 'pgp'; armored: string }
  | { format: 'unknown'; reason: string };

/** Strict base64 (standard or URL alphabet, padded or not), as the DSSE libraries accept it: no stray characters. */
function base64(v: unknown, where: string): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v) || v.length % 4 === 1)
    throw new Error(`${where} is not base64`);
  return Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function dsse(text: string): SignatureEnvelope {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { format: 'unknown', reason: 'a JSON object that does not parse' };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return { format: 'unknown', reason: 'JSON that is not an object' };
  const e = doc as Record<string, unknown>;
  if (e.payloadType !== SIF_METADATA_MEDIA_TYPE)
    return {
      format: 'unknown',
      reason: `a DSSE envelope of payload type ${JSON.stringify(String(e.payloadType).slice(0, 60))}, not SIF metadata`,
    };
  try {
    const payload = base64(e.payload, 'payload');
    if (!Array.isArray(e.signatures) || e.signatures.length === 0)
      throw new Error('the envelope holds no signatures');
    if (e.signatures.length > MAX_DSSE_SIGNATURES)
      throw new Error(`the envelope holds more than ${MAX_DSSE_SIGNATURES} signatures`);
    const signatures = e.signatures.map((s: unknown, i: number): DsseSignature => {
      if (typeof s !== 'object' || s === null) throw new Error(`signatures[${i}] is not an object`);
      const r = s as Record<string, unknown>;
      const keyid = r.keyid === undefined ? '' : r.keyid;
      if (typeof keyid !== 'string' || keyid.length > 200)
        throw new Error(`signatures[${i}].keyid is not a string`);
      // The key ID is the image's text and reaches reports and terminals: printable ASCII only.
      return { keyid: keyid.replace(/[^\x20-\x7e]/g, '?'), sig: base64(r.sig, `signatures[${i}].sig`) };
    });
    return { format: 'dsse', payload, signatures };
  } catch (err) {
    return { format: 'unknown', reason: `a malformed DSSE envelope: ${(err as Error).message}` };
  }
}

/** Classifies a signature object's bytes the way sylabs/sif's Verify picks a decoder (DSSE first, then clear-sign). */
export function parseEnvelope(data: Buffer): SignatureEnvelope {
  const text = data.toString('utf8');
  const start = text.trimStart();
  if (start.startsWith('{')) return dsse(text);
  if (start.startsWith(CLEARSIGN_START)) return { format: 'pgp', armored: text };
  return { format: 'unknown', reason: 'neither a DSSE envelope nor an OpenPGP clear-signed message' };
}

/** The DSSE pre-authentication encoding: the bytes each envelope signature signs. */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    payload,
  ]);
}
