// How troupe's bundles are built (packaging/bundles.ts), and the bench's libp2p floor with them
// (bench/floor/fleet.ts), so the floor's peers load their code as a troupe daemon does.
import type { BuildOptions } from 'esbuild'

export const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  // Error and class names stay readable in logs and stack traces.
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning'
}

/** CommonJS dependencies (pino, yaml's lazy require) call require(), which an ES module lacks. */
export const REQUIRE_BANNER = { js: 'import { createRequire as troupeCreateRequire } from \'node:module\'; const require = troupeCreateRequire(import.meta.url);' }
