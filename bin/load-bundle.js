// Loads the services' CommonJS bundle (packaging/bundles.ts) with V8's code cache for it, so a
// daemon, bootstrap or requester agent does not compile the whole 1.6 MB again on every start
// (docs/design.md, "Memory and start-up"). `npm run build` writes the cache beside the bundle
// (`node bin/load-bundle.js --write-cache BUNDLE`), so it is exactly as trustworthy as the code:
// installed with it, writable by whoever can change the code. Its first 32 bytes are the SHA-256
// of the source it was made from: V8 checks only the source's length, and a cache of another
// build of the same length would run that build's code. A cache that does not match, or that V8
// rejects (another Node.js, other V8 flags), is not used: the bundle is compiled as usual.
//
// Not for a bundle that imports anything dynamically: on Node.js 20 a function compiled from a
// code cache loses the script's dynamic import callback ("A dynamic import callback was not
// specified"). The build checks that the services' bundle has no dynamic import.
'use strict'
const { readFileSync, writeFileSync } = require('node:fs')
const { Buffer } = require('node:buffer')
const { createHash } = require('node:crypto')
const { dirname } = require('node:path')
const Module = require('node:module')
const vm = require('node:vm')

const HASH_BYTES = 32
const cachePath = bundle => `${bundle}.v8cache`

/** Compiles and runs the bundle as require() would; returns its exports and the compiled script. */
function compileAndRun (bundle, source, cachedData) {
  const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData })
  const module = new Module(bundle, null)
  module.filename = bundle
  // Its require resolves from the bundle's own place, as the bundle's require() would.
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(bundle), module, bundle, dirname(bundle))
  module.loaded = true
  return { exports: module.exports, script }
}

function sourceHash (source) {
  return createHash('sha256').update(source).digest()
}

/** The bundle's exports, compiled from its cache when the cache was made from this very source. */
function loadBundle (bundle) {
  const source = readFileSync(bundle)
  let cachedData
  try {
    const cache = readFileSync(cachePath(bundle))
    if (cache.subarray(0, HASH_BYTES).equals(sourceHash(source))) cachedData = cache.subarray(HASH_BYTES)
  } catch { /* no cache: compiled as usual */ }
  return compileAndRun(bundle, source.toString('utf8'), cachedData).exports
}

/**
 * Writes the bundle's cache, taken once the bundle's own top-level code has run (so the cache
 * holds the functions that run compiled too). In a process of its own: V8 accepts a cache only
 * under the flags it was made with, and troupe's processes load the bundle before they set any.
 */
function writeCodeCache (bundle) {
  const source = readFileSync(bundle)
  const { script } = compileAndRun(bundle, source.toString('utf8'), undefined)
  writeFileSync(cachePath(bundle), Buffer.concat([sourceHash(source), script.createCachedData()]))
}

module.exports = { loadBundle }

if (require.main === module && process.argv[2] === '--write-cache') {
  for (const bundle of process.argv.slice(3)) writeCodeCache(bundle)
}
