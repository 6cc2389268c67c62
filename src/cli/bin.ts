#!/usr/bin/env node
// The ctrsafe entry point: the only place that sets the process exit code.
import { main } from './main.js';

process.exitCode = await main({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
