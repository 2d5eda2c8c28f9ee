// Issue 11 items 1 and 4, in the filter module: what a hostile filter costs, counted rather
// than timed. (1) The network validator's work is linear in the filter's size: an `or` nested
// 24 deep used to double zod's work per level. (2) A request's whole evaluation has one budget:
// hundreds of catastrophic regexes cost the request's budget, not hundreds of 50 ms limits.
import assert from 'node:assert/strict'
import { filterSchema, validateFilter, matchesFilter, EvalBudget, type Expr, type Filter, type NodeView } from '../../src/discovery/filter/index.js'

const leaf = (i: number): Expr => ({ kind: 'fact', test: { fact: `f${i}`, op: '=', value: 'x' } })

/** `or` nested `depth` deep, each level with a leaf on the right: 2 × depth + 1 nodes. */
export function nestedOr (depth: number): Expr {
  let expr: Expr = leaf(0)
  for (let i = 1; i <= depth; i++) expr = { kind: 'or', left: expr, right: leaf(i) }
  return expr
}

/** Counts every property read of the input, whatever validator reads it. */
function counted<T extends object> (value: T, meter: { reads: number }): T {
  if (value === null || typeof value !== 'object') return value
  const children = new Map<PropertyKey, unknown>()
  return new Proxy(value, {
    get (target, key, receiver) {
      meter.reads += 1
      const inner: unknown = Reflect.get(target, key, receiver)
      if (inner === null || typeof inner !== 'object') return inner
      if (!children.has(key)) children.set(key, counted(inner, meter))
      return children.get(key)
    }
  })
}

function filterWith (compound: Expr): Filter {
  return { facts: [], classes: [], identities: [], agents: [], compound }
}

describe('filter cost: the network validator is linear in its input', () => {
  it('reads each part of a deeply nested `or` a bounded number of times (the schema request.ts uses)', () => {
    const perNode: number[] = []
    for (const depth of [4, 8, 12, 16, 24]) {
      const meter = { reads: 0 }
      const input = counted(JSON.parse(JSON.stringify(filterWith(nestedOr(depth)))) as object, meter)
      assert.equal(filterSchema.safeParse(input).success, true)
      perNode.push(meter.reads / (2 * depth + 1))
      // Linear: the reads per expression node stay flat as the nesting deepens (zod's union
      // re-read every subtree once per branch: 2^depth). Checked at each depth, so a
      // validator that is not linear fails here at a small depth instead of hanging at 24.
      assert.ok((perNode.at(-1) ?? 0) < 40 && (perNode.at(-1) ?? 0) <= (perNode[0] ?? 0) * 1.5, `reads per node at depths 4, 8, ...: ${perNode.join(', ')}`)
    }
  })

  it('visits each expression node once, and refuses nesting beyond 32 without recursing further', () => {
    const meter = { steps: 0 }
    assert.equal(validateFilter(filterWith(nestedOr(24)), meter).ok, true)
    assert.equal(meter.steps, 49)
    const deep = { steps: 0 }
    const result = validateFilter(filterWith(nestedOr(10_000)), deep)
    assert.equal(result.ok, false)
    assert.ok(deep.steps <= 33, `steps: ${deep.steps}`)
  })

  it('refuses what is not a filter with a reason, and copies what is (no extra keys survive)', () => {
    assert.deepEqual(validateFilter({ facts: [], classes: [], identities: [], agents: [], extra: 1 }), { ok: false, error: "filter: unexpected key 'extra'" })
    assert.equal(validateFilter({ facts: [{ fact: 'a', op: '=>', value: '1' }], classes: [], identities: [], agents: [] }).ok, false)
    assert.equal(validateFilter(filterWith({ kind: 'xor' } as unknown as Expr)).ok, false)
    assert.equal(validateFilter(filterWith({ kind: 'data', test: { source: 'fstat', param: '/x', op: '=' } } as unknown as Expr)).ok, false)
    const proto = JSON.parse('{"facts":[],"classes":[],"identities":[],"agents":[],"__proto__":{"x":1}}') as unknown
    assert.equal(validateFilter(proto).ok, false)
  })
})

/** A balanced `or` of `count` catastrophic regex tests (depth ~log2(count), well within the limit). */
function catastrophicOr (count: number): Expr {
  let level: Expr[] = Array.from({ length: count }, (_, i): Expr => ({ kind: 'fact', test: { fact: 'evil', op: '=~', value: `(a+)+${'$'.repeat(1 + (i % 7))}(?:${i})?` } }))
  while (level.length > 1) {
    const next: Expr[] = []
    for (let i = 0; i < level.length; i += 2) next.push(level[i + 1] === undefined ? level[i] as Expr : { kind: 'or', left: level[i] as Expr, right: level[i + 1] as Expr })
    level = next
  }
  return level[0] as Expr
}

const victim: NodeView = { identity: 'node01', facts: { evil: 'a'.repeat(40) + '!', role: 'web' }, classes: [], agents: ['rpcutil'] }

describe('filter cost: one budget for a whole request', () => {
  it('hundreds of catastrophic regexes: evaluation stops within the budget, no match, reported once', () => {
    const budget = new EvalBudget()
    const reasons: string[] = []
    const filter = filterWith(catastrophicOr(256))
    assert.equal(validateFilter(JSON.parse(JSON.stringify(filter))).ok, true, 'the hostile filter is a valid one: only its cost is the problem')
    assert.equal(matchesFilter(filter, victim, { budget, onExhausted: reason => reasons.push(reason) }), false)
    assert.equal(reasons.length, 1)
    assert.match(reasons[0] ?? '', /regex matching took more than 100 ms/)
    // Each run is cut at what is left of the 100 ms budget (at most 50 ms): a handful of runs,
    // not 256 (which cost 256 × 50 ms = 12.8 s per node before the budget).
    assert.ok(budget.used.regexRuns <= 4, `regex runs: ${budget.used.regexRuns}`)
  })

  it('a spent budget is no match even under `not` (exhaustion never turns into a match)', () => {
    const filter = filterWith({ kind: 'not', expr: catastrophicOr(16) })
    assert.equal(matchesFilter(filter, victim), false)
  })

  it('the number of regex runs and of steps is bounded too (cheap regexes over a huge array fact)', () => {
    const node: NodeView = { ...victim, facts: { many: Array.from({ length: 50_000 }, (_, i) => `pkg${i}`) } }
    const budget = new EvalBudget()
    let reason = ''
    assert.equal(matchesFilter({ ...filterWith(leaf(0)), compound: undefined, facts: [{ fact: 'many', op: '=~', value: '^nomatch$' }] }, node, { budget, onExhausted: r => { reason = r } }), false)
    assert.match(reason, /regex matches|evaluation steps|regex matching took/)
    assert.ok(budget.used.regexRuns <= budget.limits.regexRuns + 1)
  })

  it('an ordinary filter is well within the budget', () => {
    const budget = new EvalBudget()
    assert.equal(matchesFilter({ facts: [{ fact: 'role', op: '=~', value: '^we' }], classes: [], identities: [], agents: [{ exact: 'rpcutil' }] }, victim, { budget }), true)
    assert.equal(budget.exhausted, undefined)
  })
})
