// A fact about the host, and how it was learned: a live probe beats a file, a file beats a version number.

export type How = 'probe' | 'file' | 'version';
export type FactValue = string | number | boolean | null | string[];

export interface Fact {
  id: string;
  value: FactValue;
  how: How;
  /** One human sentence: what was read or run, and what it said. */
  evidence: string;
}

/** Facts keyed by id; a missing id means "not known", never "no". */
export type Facts = Map<string, Fact>;

export function addFact(facts: Facts, id: string, value: FactValue, how: How, evidence: string): void {
  facts.set(id, { id, value, how, evidence });
}

export type TriState = 'yes' | 'no' | 'unknown';

export interface Feature {
  id: string;
  state: TriState;
  how: How;
  evidence: string;
}
