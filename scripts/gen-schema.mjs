// Writes docs/schema/*.json from the declarations in src/schema/ (after the build), and records each version's
// digest in docs/schema/versions.json. A declaration that changed under a version already recorded is refused:
// bump the version (src/schema/host-report.ts) and say what changed in CHANGELOG.md.
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const { PUBLISHED, publishedText, schemaDigest } = await import(`${root}dist/src/schema/published.js`);
const dir = path.join(root, 'docs/schema');
const versionsFile = path.join(dir, 'versions.json');
fs.mkdirSync(dir, { recursive: true });
const versions = fs.existsSync(versionsFile) ? JSON.parse(fs.readFileSync(versionsFile, 'utf8')) : {};
let refused = false;
for (const p of PUBLISHED) {
  const digest = schemaDigest(p.schema);
  const known = (versions[p.file] ??= {});
  if (known[p.version] && known[p.version] !== digest) {
    console.error(
      `gen-schema: ${p.file} changed but its version is still ${p.version}: bump it and add a CHANGELOG line`,
    );
    refused = true;
    continue;
  }
  known[p.version] = digest;
  fs.writeFileSync(path.join(dir, p.file), publishedText(p));
}
fs.writeFileSync(versionsFile, `${JSON.stringify(versions, null, 2)}\n`);
process.exit(refused ? 1 : 0);
