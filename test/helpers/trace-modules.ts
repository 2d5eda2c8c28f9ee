// `node --import dist/test/helpers/trace-modules.js`: writes every module the process loads (ES
// modules as they are resolved, CommonJS ones at exit) to the file $TROUPE_TRACE_MODULES, one URL
// or path a line. Tests use it to hold a command to the modules it may load (test/integration/mesh).
import { register, createRequire } from 'node:module'
import { appendFileSync } from 'node:fs'

const out = process.env.TROUPE_TRACE_MODULES
if (out !== undefined && out !== '') {
  register(new URL('./trace-modules-hooks.js', import.meta.url))
  const cache = createRequire(import.meta.url).cache
  process.on('exit', () => { appendFileSync(out, Object.keys(cache).join('\n') + '\n') })
}
