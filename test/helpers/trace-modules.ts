// `node --import dist/test/helpers/trace-modules.js`: writes every module the process loads (ES
// modules as they are resolved, CommonJS ones at exit, scripts compiled with node:vm as they are
// compiled: `vm:` and their path) to the file $TROUPE_TRACE_MODULES, one URL or path a line. Tests
// use it to hold a command to the modules it may load (test/integration/mesh).
import { register, createRequire } from 'node:module'
import { appendFileSync } from 'node:fs'

const out = process.env.TROUPE_TRACE_MODULES
if (out !== undefined && out !== '') {
  register(new URL('./trace-modules-hooks.js', import.meta.url))
  const require = createRequire(import.meta.url)
  const cache = require.cache
  process.on('exit', () => { appendFileSync(out, Object.keys(cache).join('\n') + '\n') })
  // The services' bundle is compiled with node:vm, from its code cache (bin/load-bundle.js).
  const vm = require('node:vm') as typeof import('node:vm')
  const Script = vm.Script
  const file = out
  vm.Script = class TracedScript extends Script {
    constructor (code: string, options?: import('node:vm').ScriptOptions) {
      super(code, options)
      if (typeof options?.filename === 'string') appendFileSync(file, `vm:${options.filename}\n`)
    }
  }
}
