// Schema migrations, applied in order and recorded in schema_version; each runs in its own transaction.
import type { SqlDriver } from './sql-driver.js';

type Dialect = SqlDriver['dialect'];

const ID = (d: Dialect) => (d === 'postgres' ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT');

/** SQLite: rebuilds a per-node table keyed (hostname, KEY) as WITHOUT ROWID, keeping its rows (sqlite.org/withoutrowid.html). */
const withoutRowid = (table: string, key: string, cols: string) => [
  `CREATE TABLE ${table}_new (hostname TEXT NOT NULL, ${key} TEXT NOT NULL, ${cols}, PRIMARY KEY (hostname, ${key})) WITHOUT ROWID`,
  `INSERT INTO ${table}_new SELECT * FROM ${table}`,
  `DROP TABLE ${table}`,
  `ALTER TABLE ${table}_new RENAME TO ${table}`,
];

const NO_ROWID = (d: Dialect) => (d === 'sqlite' ? ' WITHOUT ROWID' : '');

export const MIGRATIONS: ((d: Dialect) => string[])[] = [
  (d) => [
    // The latest report of each node, with the columns the dashboard filters and sorts on.
    `CREATE TABLE nodes (
      hostname TEXT PRIMARY KEY,
      report_id TEXT NOT NULL,
      generated_at BIGINT NOT NULL,
      received_at BIGINT NOT NULL,
      kernel_release TEXT,
      distro_kernel INTEGER NOT NULL DEFAULT 0,
      os TEXT,
      fail_critical INTEGER NOT NULL DEFAULT 0,
      fail_high INTEGER NOT NULL DEFAULT 0,
      vulns_affected INTEGER NOT NULL DEFAULT 0,
      report TEXT NOT NULL
    )`,
    'CREATE INDEX nodes_kernel ON nodes (kernel_release)',
    'CREATE INDEX nodes_received ON nodes (received_at)',
    // Every report id ever accepted: a report delivered twice is stored once.
    'CREATE TABLE reports_seen (report_id TEXT PRIMARY KEY, hostname TEXT NOT NULL, received_at BIGINT NOT NULL)',
    'CREATE TABLE node_runtimes (hostname TEXT NOT NULL, runtime TEXT NOT NULL, ready TEXT NOT NULL, risk TEXT NOT NULL, PRIMARY KEY (hostname, runtime))',
    'CREATE INDEX node_runtimes_ready ON node_runtimes (runtime, ready)',
    'CREATE TABLE node_vulns (hostname TEXT NOT NULL, vuln_id TEXT NOT NULL, status TEXT NOT NULL, severity TEXT NOT NULL, PRIMARY KEY (hostname, vuln_id))',
    'CREATE INDEX node_vulns_id ON node_vulns (vuln_id, status)',
    // What changed on a node and when: not every row of every report, only the transitions.
    `CREATE TABLE transitions (id ${ID(d)}, hostname TEXT NOT NULL, at BIGINT NOT NULL, subject TEXT NOT NULL, old_value TEXT, new_value TEXT)`,
    'CREATE INDEX transitions_host ON transitions (hostname, at)',
    'CREATE TABLE daily_rollups (day TEXT NOT NULL, metric TEXT NOT NULL, value BIGINT NOT NULL, PRIMARY KEY (day, metric))',
  ],
  () => [
    // Node tokens are stored hashed (sha256): a database leak gives no usable credential.
    'CREATE TABLE node_tokens (hostname TEXT PRIMARY KEY, token_hash TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT)',
    'CREATE INDEX node_tokens_hash ON node_tokens (token_hash)',
  ],
  (d) => [
    // Failing rules and needed actions per node: the plan and the rule table group these. On SQLite the rows
    // live in their primary key's b-tree (WITHOUT ROWID): one b-tree less to write per row.
    `CREATE TABLE node_findings (hostname TEXT NOT NULL, rule_id TEXT NOT NULL, severity TEXT NOT NULL, PRIMARY KEY (hostname, rule_id))${NO_ROWID(d)}`,
    'CREATE INDEX node_findings_rule ON node_findings (rule_id, hostname)',
    `CREATE TABLE node_actions (hostname TEXT NOT NULL, action_key TEXT NOT NULL, weight BIGINT NOT NULL, PRIMARY KEY (hostname, action_key))${NO_ROWID(d)}`,
    'CREATE INDEX node_actions_key ON node_actions (action_key, hostname)',
    // Nodes by vulnerability and status: this index replaces the narrower one of the first migration.
    'CREATE INDEX node_vulns_host ON node_vulns (vuln_id, status, hostname)',
    'DROP INDEX node_vulns_id',
    ...(d === 'sqlite'
      ? withoutRowid('node_runtimes', 'runtime', 'ready TEXT NOT NULL, risk TEXT NOT NULL')
      : []),
    ...(d === 'sqlite'
      ? withoutRowid('node_vulns', 'vuln_id', 'status TEXT NOT NULL, severity TEXT NOT NULL')
      : []),
    ...(d === 'sqlite'
      ? [
          'CREATE INDEX node_runtimes_ready ON node_runtimes (runtime, ready)',
          'CREATE INDEX node_vulns_host ON node_vulns (vuln_id, status, hostname)',
        ]
      : []),
    'CREATE TABLE actions (action_key TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, fixes TEXT NOT NULL)',
    // Titles of rules and summaries of vulnerabilities, as the nodes reported them.
    'CREATE TABLE labels (kind TEXT NOT NULL, id TEXT NOT NULL, label TEXT NOT NULL, severity TEXT NOT NULL, PRIMARY KEY (kind, id))',
    // Fleet-wide counters kept in step with every ingest, so the summary costs the same for 100 nodes or 100,000.
    'CREATE TABLE fleet_counts (metric TEXT NOT NULL, k1 TEXT NOT NULL, k2 TEXT NOT NULL, n BIGINT NOT NULL, weight BIGINT NOT NULL, PRIMARY KEY (metric, k1, k2))',
    'CREATE INDEX transitions_at ON transitions (at)',
  ],
  (d) => [
    // A node's sets (runtimes, vulnerabilities, failing rules, actions) as one JSON column, and the filters'
    // substrings beside it: one row per report instead of one per runtime and vulnerability. Only node_actions stays
    // a table (the plan lists thousands of hosts per action). The whole report moves to its own table, so scans
    // and filters over the nodes read narrow rows. Labels are no longer stored: the server's own catalogue and
    // advisory database name rules and vulnerabilities (a node's text never becomes a fleet-wide fact).
    "ALTER TABLE nodes ADD COLUMN state TEXT NOT NULL DEFAULT '{}'",
    "ALTER TABLE nodes ADD COLUMN runtimes TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE nodes ADD COLUMN vulns TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE nodes ADD COLUMN fails TEXT NOT NULL DEFAULT ''",
    'CREATE TABLE node_reports (hostname TEXT PRIMARY KEY, report TEXT NOT NULL)',
    'INSERT INTO node_reports (hostname, report) SELECT hostname, report FROM nodes',
    'ALTER TABLE nodes DROP COLUMN report',
    'DROP TABLE node_runtimes',
    'DROP TABLE node_vulns',
    'DROP TABLE node_findings',
    'DROP TABLE labels',
    // Node identity: an administrator's re-key opens one enrolment for a node (until a time, from an address).
    'ALTER TABLE node_tokens ADD COLUMN rekey_until BIGINT',
    'ALTER TABLE node_tokens ADD COLUMN rekey_from TEXT',
    // Re-enrolments held for an administrator (the site's --reenrol approve policy), one per node and address.
    `CREATE TABLE enrolment_requests (id ${ID(d)}, hostname TEXT NOT NULL, peer TEXT NOT NULL, at BIGINT NOT NULL, status TEXT NOT NULL, decided_at BIGINT, decided_by TEXT)`,
    'CREATE INDEX enrolment_requests_host ON enrolment_requests (hostname, peer, status)',
    // Every enrolment, refusal, revocation, re-key and refused report, with the peer address: the audit trail.
    `CREATE TABLE audit_events (id ${ID(d)}, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, hostname TEXT, peer TEXT, detail TEXT)`,
    'CREATE INDEX audit_events_at ON audit_events (at)',
  ],
  // 5: a node is stale by its report's own time, not by when the report reached the server (a 14-day-old report
  // ingested today is 14 days old); generated_at is never later than the arrival (ingest-batch clamps it).
  () => ['CREATE INDEX nodes_generated ON nodes (generated_at)'],
  // 6: the dashboard's pictures (issue 18): per node, its partitions and each runtime's verdict and why, narrow, for
  // the matrix and the partition grid; the store rebuilds the derived rows after it (verdict and severity counters).
  () => ["ALTER TABLE nodes ADD COLUMN view TEXT NOT NULL DEFAULT '{}'"],
  // 7: daily roll-ups of the fleet counters (daily-rollups.ts), so a 90-day trend reads a few thousand rows.
  (d) => [
    `CREATE TABLE daily_counts (day TEXT NOT NULL, metric TEXT NOT NULL, k1 TEXT NOT NULL, k2 TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (day, metric, k1, k2))${NO_ROWID(d)}`,
  ],
  // 8: GPU and RDMA readiness per runtime (issue 19) in the state and view columns, the filter column ("%gpu") and
  // the counters (accel_present, accel_ready). No new column: the version says the store must rebuild the derived
  // rows from the stored reports (fleet-store.ts migrate), which fills them in for reports that carry the section.
  () => [],
];

/** Applies the missing migrations; returns the version before and after. */
export async function migrate(db: SqlDriver): Promise<{ from: number; to: number }> {
  await db.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const rows = await db.all<{ v: number | string | null }>('SELECT MAX(version) AS v FROM schema_version');
  const from = Number(rows[0]?.v ?? 0);
  let current = from;
  for (let i = current; i < MIGRATIONS.length; i++) {
    await db.transaction(async (tx) => {
      for (const stmt of MIGRATIONS[i]!(db.dialect)) await tx.run(stmt);
      await tx.run('INSERT INTO schema_version (version) VALUES (?)', [i + 1]);
    });
    current = i + 1;
  }
  return { from, to: current };
}
