// The small building blocks the declarations of this folder share: a nullable value and a list of words.
import { Type, type TSchema } from 'typebox';

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const Enum = <const V extends string[]>(values: readonly [...V], description?: string) =>
  Type.Enum<V>(values, description ? { description } : {});
