// The whole-request budget of filter evaluation. A filter arrives from the network and is
// evaluated by every node that receives it; its cost must be bounded per request, not per
// part: a per-regex time limit alone let one request with hundreds of catastrophic regexes
// cost ~35 s. Every evaluation step, regex run, regex millisecond and data-source lookup is
// charged here; once any runs out, evaluation stops and the filter counts as no match (the
// caller is told once why, to count and log it).

export interface BudgetLimits {
  /** expression nodes visited plus fact values compared */
  steps: number
  /** regex matches started */
  regexRuns: number
  /** total CPU time spent in regex matching, ms (CPU, not wall: a busy host must not change a match) */
  regexMs: number
  /** data-source lookups (fstat, resource: they read the node's disk) */
  dataLookups: number
}

export const DEFAULT_BUDGET: Readonly<BudgetLimits> = { steps: 20_000, regexRuns: 1024, regexMs: 100, dataLookups: 16 }

export class EvalBudget {
  readonly used = { steps: 0, regexRuns: 0, regexMs: 0, dataLookups: 0 }
  /** why evaluation stopped, once it did */
  exhausted: string | undefined

  constructor (readonly limits: Readonly<BudgetLimits> = DEFAULT_BUDGET) {}

  private stop (reason: string): false {
    this.exhausted ??= reason
    return false
  }

  /** One evaluation step; false once the budget is spent. */
  step (count = 1): boolean {
    if (this.exhausted !== undefined) return false
    this.used.steps += count
    return this.used.steps <= this.limits.steps || this.stop(`more than ${this.limits.steps} evaluation steps`)
  }

  chargeRegex (): boolean {
    if (this.exhausted !== undefined) return false
    if (this.used.regexMs >= this.limits.regexMs) return this.stop(`regex matching took more than ${this.limits.regexMs} ms`)
    this.used.regexRuns += 1
    return this.used.regexRuns <= this.limits.regexRuns || this.stop(`more than ${this.limits.regexRuns} regex matches`)
  }

  chargeRegexTime (ms: number): void {
    this.used.regexMs += ms
  }

  regexMsLeft (): number {
    return this.limits.regexMs - this.used.regexMs
  }

  /** Stops evaluation for a reason other than cost (an unknown data source): no match. */
  fail (reason: string): void {
    this.stop(reason)
  }

  chargeData (): boolean {
    if (this.exhausted !== undefined) return false
    this.used.dataLookups += 1
    return this.used.dataLookups <= this.limits.dataLookups || this.stop(`more than ${this.limits.dataLookups} data-source lookups`)
  }
}
