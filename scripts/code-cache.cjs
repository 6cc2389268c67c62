// Runs the agent bundle with a V8 code cache: the npm bin (ctrsafe-launch.cjs) and the single executable (sea-main.cjs)
// both load the bundle through runWithCodeCache.
'use strict';

/*
 * Why a cache of our own, and not Node's compile cache (module.enableCompileCache, Node >= 22.1): Node keeps the code
 * V8 compiled while it loaded the file, which is the top level only, since V8 compiles a function when it is first
 * called. A start of `ctrsafe check` then still compiles every function check calls. This launcher asks V8 for its
 * cache after the command has run (vm.Script#createCachedData), so the cache holds the code the command used, on
 * every Node this package supports (Node 20 has no compile cache at all). One cache per command word, since each
 * command runs different code. V8 rejects a cache made by another V8 version or with other flags; it tells sources
 * apart only by length, so each cache's name carries its build (the bundle's size and time).
 *
 * The cache is code that Node will run, so it is kept only where no other user can write (as Node's own cache is):
 * root's under /var/cache/ctrsafe (the directory the gate keeps its image verdicts in) when root owns it and others
 * cannot write it, a user's under their own cache directory; nowhere else, never /tmp. Anything that goes wrong with
 * the cache costs a slower start and nothing else. V8 does not check a cache's integrity in release builds (a damaged
 * one aborts Node in the deserializer), so the file starts with the SHA-256 of what follows, checked before V8 sees it.
 */
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createHash } = require('node:crypto');

const debug = Boolean(process.env.CTRSAFE_DEBUG);
const say = (what) => debug && process.stderr.write(`ctrsafe: code cache ${what}\n`);

function cacheDir() {
  const uid = process.getuid ? process.getuid() : -1;
  if (uid === 0) {
    const st = fs.lstatSync('/var/cache/ctrsafe', { throwIfNoEntry: false });
    return st && st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0
      ? '/var/cache/ctrsafe/compile'
      : null;
  }
  const home = process.env.XDG_CACHE_HOME || (process.env.HOME ? process.env.HOME + '/.cache' : null);
  return home && home.startsWith('/') ? home + '/ctrsafe/compile' : null;
}

/**
 * Every directory from / down to dir is a real directory (no link), root's or this user's, and writable by nobody
 * else: then no other user can swap a directory on the way and put code where the cache is read (docs/security.md).
 */
function closedPath(dir, uid) {
  let at = '/';
  for (const part of ['', ...dir.split('/').filter(Boolean)]) {
    at = path.join(at, part);
    const st = fs.lstatSync(at);
    if (!st.isDirectory() || (st.uid !== 0 && st.uid !== uid) || (st.mode & 0o022) !== 0) return at;
  }
  return null;
}

/** The cache's own directory, made 0700 if absent, used only when closedPath holds for it and it is this user's. */
function ownCacheDir() {
  const dir = cacheDir();
  if (!dir) return null;
  const uid = process.getuid ? process.getuid() : -1;
  // What exists is checked before anything is made below it; what was made, after.
  let existing = dir;
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  let open = closedPath(existing, uid);
  if (!open) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    open = closedPath(dir, uid) ?? (fs.lstatSync(dir).uid === uid ? null : dir);
  }
  if (!open) return dir;
  say(`not used: ${open} is not root's or this user's directory closed to others`);
  return null;
}

/** Runs the bundle's CommonJS source, wrapped as Node wraps a module; returns the script (for its cache). */
function run(bundle, cachedData) {
  const { filename, dirname, require: req } = bundle;
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${bundle.source}\n})`,
    cachedData ? { filename, cachedData } : { filename },
  );
  const m = { exports: {}, filename, id: filename, loaded: false };
  script.runInThisContext()(m.exports, req, m, filename, dirname);
  return script;
}

/**
 * Runs the bundle ({ source, filename, dirname, require, build }: build names this build, such as its size and
 * mtime, and is part of the cache's name) with the cache of the command word in argv[2]; without a usable cache
 * directory it runs without one (runWithCodeCache returns false then and the caller may load the bundle its own way).
 */
function runWithCodeCache(argv, bundle) {
  let dir = null;
  try {
    dir = ownCacheDir();
  } catch {
    dir = null;
  }
  if (!dir) return false;
  const word = /^[a-z]{2,12}$/.test(argv[2] || '') ? argv[2] : 'other';
  const stem = `${word}-${process.version}-${process.arch}-`;
  const name = `${stem}${bundle.build}.v8`;
  const file = path.join(dir, name);
  let cached = null;
  let damaged = false;
  try {
    const data = fs.readFileSync(file);
    const body = data.subarray(32);
    if (createHash('sha256').update(body).digest().equals(data.subarray(0, 32))) cached = body;
    else damaged = true;
  } catch {
    cached = null;
  }
  const script = run(bundle, cached);
  if (cached && !script.cachedDataRejected) {
    say(`${name} used`);
    return true;
  }
  say(damaged ? `${name} damaged` : cached ? `${name} rejected` : `${name} absent`);
  // Written once the command is done, so that it holds the code the command ran.
  process.once('exit', () => {
    try {
      const tmp = `${file}.${process.pid}.tmp`;
      const body = script.createCachedData();
      fs.writeFileSync(tmp, Buffer.concat([createHash('sha256').update(body).digest(), body]), {
        mode: 0o600,
        flag: 'wx',
      });
      fs.renameSync(tmp, file);
      for (const other of fs.readdirSync(dir))
        if (other.startsWith(stem) && other !== name && other.endsWith('.v8'))
          fs.rmSync(path.join(dir, other));
      say(`${name} written`);
    } catch (e) {
      say(`not written: ${e.message}`);
    }
  });
  return true;
}

/** Runs the bundle without a cache. */
const runBundle = (bundle) => void run(bundle, null);

module.exports = { runWithCodeCache, runBundle };
