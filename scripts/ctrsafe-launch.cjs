#!/usr/bin/env node
// The package's bin (copied to dist/bundle/ by scripts/bundle.mjs): runs the agent bundle with a V8 code cache
// (code-cache.cjs says why and where), or plainly when no cache can be kept.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
const { runWithCodeCache } = require('./code-cache.cjs');

const BUNDLE = path.join(__dirname, 'ctrsafe.cjs');

function bundle() {
  try {
    const st = fs.statSync(BUNDLE);
    return {
      // scripts/bundle.mjs checks the bundle is ASCII; a shebang is not JavaScript inside a function.
      source: fs.readFileSync(BUNDLE, 'latin1').replace(/^#!/, '//'),
      filename: BUNDLE,
      dirname: __dirname,
      require: createRequire(BUNDLE),
      build: `${st.size}-${Math.trunc(st.mtimeMs)}`,
    };
  } catch {
    return null;
  }
}

const b = bundle();
if (!b || !runWithCodeCache(process.argv, b)) require(BUNDLE);
