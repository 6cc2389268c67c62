// The single executable's main script (bundled into one file by scripts/build-sea.mjs): the agent bundle is an
// asset of the executable, run with the same V8 code cache as the npm bin (code-cache.cjs), or plainly without one.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const sea = require('node:sea');
const { runBundle, runWithCodeCache } = require('./code-cache.cjs');

const source = sea.getAsset('ctrsafe.cjs', 'utf8').replace(/^#!/, '//');
// In a chroot without /proc, Node cannot read /proc/self/exe and execPath is the bare name the shell ran ("ctrsafe"):
// the build cannot be identified then, so the bundle runs without a cache rather than failing to start.
const st = path.isAbsolute(process.execPath)
  ? fs.statSync(process.execPath, { throwIfNoEntry: false })
  : undefined;
const bundle = {
  source,
  filename: process.execPath,
  dirname: path.dirname(process.execPath),
  // The single executable's own require: Node's built-in modules only, never a file from disk.
  require,
  build: st ? `sea-${st.size}-${Math.trunc(st.mtimeMs)}-${source.length}` : '',
};
if (!st || !runWithCodeCache(process.argv, bundle)) runBundle(bundle);
