// A fact about the host, and how it was learned: a live probe beats a file, a file beats a version number.
// The shapes are declared with the report (src/schema/host-report.ts), which carries every fact.
import type { Fact, FactValue, Feature, How, TriState } from '../schema/host-report.js';

export type { Fact, FactValue, Feature, How, TriState };

/** Facts keyed by id; a missing id means "not known", never "no". */
export type Facts = Map<string, Fact>;

export function addFact(facts: Facts, id: string, value: FactValue, how: How, evidence: string): void {
  facts.set(id, { id, value, how, evidence });
}
