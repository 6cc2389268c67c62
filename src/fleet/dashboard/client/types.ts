// The API's shapes as the dashboard reads them (type-only: erased from the bundle).
export type {
  Summary,
  NodeRow,
  PlanItem,
  DriftRow,
  NodeDetail,
  ChartCell as Cell,
  ChartPanel,
  Overview,
  MatrixPage,
  PartitionGrid,
} from '../../../schema/fleet-api.js';
