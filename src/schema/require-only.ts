// Views of a declared object: the fields a reader needs required, the others optional but checked when present.
import { Type, type TObject } from 'typebox';

/** `o` with only `keep` required: a report from an older or newer ctrsafe still carries what its reader needs. */
export function requireOnly<T extends TObject, const K extends (keyof T['properties'] & string)[]>(
  o: T,
  keep: readonly [...K],
) {
  return Type.Intersect([Type.Pick(o, keep), Type.Partial(Type.Omit(o, keep))]);
}
