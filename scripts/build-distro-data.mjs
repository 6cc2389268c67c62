// Runs the distribution data builder (src/advisories/sources/build-distro-data.ts) from the compiled tree.
import { main } from '../dist/src/advisories/sources/build-distro-data.js';

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`build-distro-data: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
