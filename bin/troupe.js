#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
// Older Node.js fails deep inside libp2p (Debian 12's Node 18: "CustomEvent is not defined"):
// say so plainly instead (docs/packaging.md).
import { statSync } from 'node:fs'
import { URL } from 'node:url'

const major = Number(process.versions.node.split('.')[0])
if (major < 20) {
  console.error(`troupe: needs Node.js 20 or later; this is ${process.version} (see docs/packaging.md)`)
  process.exit(2)
}

const SERVICES = new Set(['daemon', 'bootstrap', 'requester-agent'])

/**
 * The long-lived services run from the one-file bundle `npm run build` makes
 * (packaging/bundle-services.ts), unless tsc compiled the tree again since: a bundle older than
 * the compiled files would run yesterday's code, so then they run file by file, as the CLI does.
 */
function bundleIsCurrent () {
  const modified = path => statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs
  const bundle = modified('../dist/src/services.js')
  const compiled = modified('../dist/.tsbuildinfo')
  return bundle !== undefined && (compiled === undefined || bundle >= compiled)
}

await import(SERVICES.has(process.argv[2]) && bundleIsCurrent() ? '../dist/src/services.js' : '../dist/src/cli/entry.js')
