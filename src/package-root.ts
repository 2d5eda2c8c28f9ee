// Where the installed program lives (package.json, bin/troupe.js), found from this module's own
// file. The same code runs compiled file by file (dist/src/...) and from the bundles
// (dist/src/services.cjs, dist/src/cli.cjs: packaging/bundles.ts), which sit at different depths, so
// no module may count its way up with '..'.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot (from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'troupe.js'))) return dir
    if (dirname(dir) === dir) throw new Error(`troupe: no package.json with bin/troupe.js above ${from}: the installation is incomplete`)
  }
}

export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)))
export const TROUPE_BIN = join(PACKAGE_ROOT, 'bin', 'troupe.js')
