// Loaded only by npm run mutate (test/mutate.mocharc.json). The filter's regex match has a 50 ms
// wall-clock budget (src/discovery/filter/regex.ts). Stryker's runs are niced on a shared 2-core
// machine: starved of CPU, a trivial match has overrun it and failed a filter test in the initial
// run, which stops the whole mutation run. Mutation testing measures what the tests check, not
// timing, so here the budget is raised to 2 s (a catastrophic pattern still stops).
import vm from 'node:vm'

const runInContext = vm.Script.prototype.runInContext
vm.Script.prototype.runInContext = function (this: vm.Script, context: vm.Context, options?: vm.RunningScriptOptions) {
  return runInContext.call(this, context, { ...options, ...(options?.timeout !== undefined ? { timeout: Math.max(options.timeout, 2000) } : {}) })
}
