// `npm run build`, after tsc: bundles the compiled CLI into one file, dist/src/services.js, which
// the launcher (bin/troupe.js) runs for the long-lived services — daemon, bootstrap, requester
// agent. One minified file instead of ~550 modules: a daemon holds less memory and spends less CPU
// starting (docs/design.md, "Memory and start-up"). The CLI keeps the file-by-file tree: its lean
// path loads a few modules, far less than the bundle would compile.
//   node dist/packaging/bundle-services.js
import { build } from 'esbuild'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../src/package-root.js'

const SERVICES_BUNDLE = join(PACKAGE_ROOT, 'dist', 'src', 'services.js')

await build({
  entryPoints: [join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'entry.js')],
  outfile: SERVICES_BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  // Error and class names stay readable in logs and stack traces.
  keepNames: true,
  legalComments: 'none',
  // CommonJS dependencies (pino, yaml's lazy require) call require(), which an ES module lacks.
  banner: { js: 'import { createRequire as troupeCreateRequire } from \'node:module\'; const require = troupeCreateRequire(import.meta.url);' },
  logLevel: 'warning'
})
