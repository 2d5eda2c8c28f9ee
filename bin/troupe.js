#!/usr/bin/env -S node --max-semi-space-size=2
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
// Older Node.js fails deep inside libp2p (Debian 12's Node 18: "CustomEvent is not defined"):
// say so plainly instead (docs/packaging.md).
const major = Number(process.versions.node.split('.')[0])
if (major < 20) {
  console.error(`troupe: needs Node.js 20 or later; this is ${process.version} (see docs/packaging.md)`)
  process.exit(2)
}
await import('../dist/src/cli/entry.js')
