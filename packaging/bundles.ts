// `npm run build`, after tsc: bundles the compiled CLI into two CommonJS files the launcher
// (bin/troupe.js) runs when they are at least as new as tsc's last build:
// - dist/src/services.cjs: everything, for the long-lived services (daemon, bootstrap, requester
//   agent). One minified file instead of ~550 modules: a daemon holds less memory and spends less
//   CPU starting (docs/design.md, "Memory and start-up"). CommonJS, with V8's code cache for it
//   beside it (services.cjs.v8cache, bin/load-bundle.js).
// - dist/src/cli.cjs: the requester commands' lean path (src/cli/lean.ts) with what it loads on
//   every run. Node's ES module loader resolves, stats and compiles each file on its own (~40 of
//   them for `troupe ping`); the modules only some runs need (the full CLI, the config loader with
//   yaml and zod, the in-process mesh member, the progress bar) stay outside, loaded from the
//   compiled tree when a run needs them, so every run does not compile them. CommonJS, as the
//   launcher is: a run that needs none of those never sets up Node's ES module loader at all.
//   node dist/packaging/bundles.js
import { build, type Plugin } from 'esbuild'
import { BUNDLE_OPTIONS } from './bundle-options.js'
import { dirname, join, relative } from 'node:path'
import { rmSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { PACKAGE_ROOT } from '../src/package-root.js'

const SRC = join(PACKAGE_ROOT, 'dist', 'src')
const SERVICES_BUNDLE = join(SRC, 'services.cjs')
const CLI_BUNDLE = join(SRC, 'cli.cjs')

/** Modules the CLI bundle leaves in the compiled tree: each pulls in packages most runs never use. */
const CLI_OUTSIDE = ['cli/main.js', 'cli/progress.js', 'config/load.js', 'requester/in-process-link.js'].map(path => join(SRC, path))

/** Imports of the modules listed stay imports, re-aimed from the bundle's own place. */
function leaveOutside (modules: string[], outfile: string): Plugin {
  return {
    name: 'leave-outside',
    setup (builder) {
      builder.onResolve({ filter: /^\./ }, args => {
        const target = join(args.resolveDir, args.path)
        if (!modules.includes(target)) return undefined
        const path = relative(dirname(outfile), target)
        return { path: path.startsWith('.') ? path : `./${path}`, external: true }
      })
    }
  }
}

const COMMONJS_OPTIONS = {
  ...BUNDLE_OPTIONS,
  entryPoints: [join(SRC, 'cli', 'entry.js')],
  format: 'cjs' as const,
  // The compiled tree's modules find their files from import.meta.url (package-root.ts,
  // config/cached.ts), which CommonJS lacks: the bundle's own URL stands in.
  define: { 'import.meta.url': 'troupeBundleUrl' },
  banner: { js: 'const troupeBundleUrl = require(\'node:url\').pathToFileURL(__filename).href;' }
}

const services = await build({ ...COMMONJS_OPTIONS, outfile: SERVICES_BUNDLE, metafile: true })
// Loaded from its code cache, the bundle could not import anything dynamically (bin/load-bundle.js).
const dynamic = Object.values(services.metafile.outputs).flatMap(output => output.imports).filter(imported => imported.kind === 'dynamic-import')
if (dynamic.length > 0) throw new Error(`the services' bundle imports ${dynamic.map(imported => imported.path).join(', ')} dynamically: bundle it, or load it otherwise (bin/load-bundle.js)`)
await build({ ...COMMONJS_OPTIONS, outfile: CLI_BUNDLE, plugins: [leaveOutside(CLI_OUTSIDE, CLI_BUNDLE)] })

// The ES module bundles of older builds: nothing runs them, and a package built from this tree
// would carry them.
for (const stale of ['cli.js', 'services.js']) rmSync(join(SRC, stale), { force: true })

execFileSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'load-bundle.js'), '--write-cache', SERVICES_BUNDLE], { stdio: 'inherit' })
