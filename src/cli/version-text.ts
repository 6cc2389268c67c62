// `ctrsafe --version`: ctrsafe's version, the Node it runs on, and the advisory data it carries with its age.
import { newestRecordDate } from '../advisories/advisory-store.js';
import { loadBuiltinAdvisories } from '../advisories/load-advisories.js';
import { toolVersion } from '../tool-version.js';

export function versionText(now = new Date()): string {
  const db = loadBuiltinAdvisories();
  const newest = newestRecordDate(db.advisories);
  const age = newest ? Math.floor((now.getTime() - newest.getTime()) / 86400000) : null;
  const lines = [
    `ctrsafe ${toolVersion()} (Node ${process.version}, ${process.platform} ${process.arch})`,
    `advisories: ${db.advisories.length} reviewed records, newest ${newest?.toISOString().slice(0, 10) ?? 'none'}${age !== null ? ` (${age} days old)` : ''}`,
  ];
  for (const s of db.distro)
    lines.push(`  ${s.id}: ${s.fixes.length} fixes from ${s.repository} as of ${s.date} (${s.license})`);
  return lines.join('\n') + '\n';
}
