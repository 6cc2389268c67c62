// Reads the JSON documents of image archives defensively: every shape is checked, every failure is an ImageFormatError.
import { ImageFormatError } from '../image-entry.js';

/** index.json, manifests and configs are small; a larger one is hostile or not what its name says. */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;

export type JsonObject = Record<string, unknown>;

export function parseJson(data: Buffer, what: string): unknown {
  try {
    return JSON.parse(data.toString('utf8')) as unknown;
  } catch (e) {
    throw new ImageFormatError(`${what}: not valid JSON (${(e as Error).message.slice(0, 120)})`);
  }
}

export function asObject(v: unknown, what: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ImageFormatError(`${what}: not a JSON object`);
  return v as JsonObject;
}

export function asArray(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new ImageFormatError(`${what}: not a JSON array`);
  return v;
}

export function asString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new ImageFormatError(`${what}: not a string`);
  return v;
}

export function optString(v: unknown, what: string): string | undefined {
  return v === undefined ? undefined : asString(v, what);
}

export function asSize(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new ImageFormatError(`${what}: not a size`);
  return v;
}
