// The API's shapes as the dashboard reads them (type-only: erased from the bundle).
export type { Summary, NodeRow, PlanItem, DriftRow, NodeDetail } from '../../../schema/fleet-api.js';
export type { Cell, ChartPanel } from '../../overview-charts.js';
export type { PartitionGrid } from '../../node-grid.js';

export type NodeView = import('../../../schema/fleet-api.js').NodeView & { hostname: string };

export interface Overview {
  nodes: number;
  stale: number;
  critical_nodes: number;
  vulnerable_nodes: number;
  days: number;
  charts: import('../../overview-charts.js').ChartPanel[];
}
