// The API's shapes as the dashboard reads them (type-only: erased from the bundle).
export type { Summary, NodeRow, PlanItem, DriftRow } from '../../store/fleet-store.js';
export type { Cell, ChartPanel } from '../../overview-charts.js';
export type { PartitionGrid } from '../../node-grid.js';

export type NodeView = import('../../store/node-state.js').NodeView & { hostname: string };

export interface Overview {
  nodes: number;
  stale: number;
  critical_nodes: number;
  vulnerable_nodes: number;
  days: number;
  charts: import('../../overview-charts.js').ChartPanel[];
}

export interface NodeDetail {
  row: import('../../store/fleet-store.js').NodeRow;
  /** The node's own report: untrusted, every field read defensively. */
  report: Record<string, unknown>;
  stale: boolean;
  actions: { key: string; kind: string; title: string; weight: number }[];
  transitions: { at: number; subject: string; old_value: string | null; new_value: string | null }[];
}
