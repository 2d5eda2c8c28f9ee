#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
// Older Node.js fails deep inside libp2p (Debian 12's Node 18: "CustomEvent is not defined"):
// say so plainly instead (docs/packaging.md).
import { readFileSync, statSync } from 'node:fs'
import { URL } from 'node:url'

const major = Number(process.versions.node.split('.')[0])
if (major < 20) {
  console.error(`troupe: needs Node.js 20 or later; this is ${process.version} (see docs/packaging.md)`)
  process.exit(2)
}

const SERVICES = new Set(['daemon', 'bootstrap', 'requester-agent'])
// The version needs no bundle (the launcher prints it; TROUPE_LEAN=0 leaves it to the full CLI).
const VERSION_FLAGS = new Set(['--version', '-V'])

/**
 * `npm run build` makes two bundles (packaging/bundles.ts): the long-lived services run from
 * one, every other command from the requester commands' own. A bundle is used unless tsc
 * compiled the tree again since: one older than the compiled files would run yesterday's code,
 * so then the command runs file by file.
 */
function bundleIsCurrent (bundlePath) {
  const modified = path => statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs
  const bundle = modified(bundlePath)
  const compiled = modified('../dist/.tsbuildinfo')
  return bundle !== undefined && (compiled === undefined || bundle >= compiled)
}

function bundleFor (command) {
  if (SERVICES.has(command)) return '../dist/src/services.js'
  if (VERSION_FLAGS.has(command)) return undefined
  return '../dist/src/cli.js'
}

function entryFor (command) {
  const bundle = bundleFor(command)
  return bundle !== undefined && bundleIsCurrent(bundle) ? bundle : '../dist/src/cli/entry.js'
}

// The version straight from package.json, beside this file: no module of troupe's to load.
if (VERSION_FLAGS.has(process.argv[2]) && process.env.TROUPE_LEAN !== '0') {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`)
} else {
  await import(entryFor(process.argv[2]))
}
