#!/bin/sh
':' //; case "$1" in daemon|bootstrap|requester-agent) ;; *) unset NODE_EXTRA_CA_CERTS ;; esac; exec node "$0" "$@"
// Run as a program, the line above is sh's (to JavaScript, a string and a comment): Node parses
// every certificate of the file NODE_EXTRA_CA_CERTS names before it runs any JavaScript, 45 ms
// of every command on a host where it names the system's bundle, and the requester commands
// make no TLS connection. The services (the line names SERVICES below again: sh cannot read it)
// keep it, as their agents may talk HTTPS (bench/cli-start.ts measures it).
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
// CommonJS (bin/package.json says so), as are both bundles: Node starts a CommonJS program
// without setting up its ES module loader, some 10 ms of every command, and the services start
// from V8's code cache for theirs (load-bundle.js; docs/design.md, "Memory and start-up").
// Older Node.js fails deep inside libp2p (Debian 12's Node 18: "CustomEvent is not defined"):
// say so plainly instead (docs/packaging.md).
'use strict'
const { readFileSync, statSync } = require('node:fs')
const { join } = require('node:path')
const { pathToFileURL } = require('node:url')

const major = Number(process.versions.node.split('.')[0])
if (major < 20) {
  console.error(`troupe: needs Node.js 20 or later; this is ${process.version} (see docs/packaging.md)`)
  process.exit(2)
}

const SERVICES = new Set(['daemon', 'bootstrap', 'requester-agent'])
// The version needs no bundle (the launcher prints it; TROUPE_LEAN=0 leaves it to the full CLI).
const VERSION_FLAGS = new Set(['--version', '-V'])
const SERVICES_BUNDLE = '../dist/src/services.cjs'
const CLI_BUNDLE = '../dist/src/cli.cjs'
const COMPILED_ENTRY = '../dist/src/cli/entry.js'

/**
 * `npm run build` makes two bundles (packaging/bundles.ts): the long-lived services run from
 * one, every other command from the requester commands' own. A bundle is used unless tsc
 * compiled the tree again since: one older than the compiled files would run yesterday's code,
 * so then the command runs file by file.
 */
function bundleIsCurrent (bundlePath) {
  const modified = path => statSync(join(__dirname, path), { throwIfNoEntry: false })?.mtimeMs
  const bundle = modified(bundlePath)
  const compiled = modified('../dist/.tsbuildinfo')
  return bundle !== undefined && (compiled === undefined || bundle >= compiled)
}

/** The module that holds `main` for this command: a bundle when it is current, else the compiled tree. */
async function entryFor (command) {
  const bundle = SERVICES.has(command) ? SERVICES_BUNDLE : VERSION_FLAGS.has(command) ? undefined : CLI_BUNDLE
  if (bundle === undefined || !bundleIsCurrent(bundle)) return await import(pathToFileURL(join(__dirname, COMPILED_ENTRY)).href)
  // The services' bundle from V8's code cache (load-bundle.js); the requester commands' bundle,
  // which imports parts of the compiled tree dynamically, as any CommonJS file.
  return bundle === SERVICES_BUNDLE ? require('./load-bundle.js').loadBundle(join(__dirname, bundle)) : require(bundle)
}

// The version straight from package.json, beside this file: no module of troupe's to load.
if (VERSION_FLAGS.has(process.argv[2]) && process.env.TROUPE_LEAN !== '0') {
  process.stdout.write(`${JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8')).version}\n`)
} else {
  // A failure is Node's own unhandled rejection: its stack trace on stderr and exit code 1.
  void entryFor(process.argv[2]).then(async entry => { await entry.main() })
}
