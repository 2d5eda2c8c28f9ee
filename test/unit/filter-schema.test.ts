// The network validator of filters (validateFilter, and filterSchema in the request schema):
// what it refuses, with the exact reason the refusal carries, and where its limits are.
import assert from 'node:assert/strict'
import { filterSchema, validateFilter, type Expr } from '../../src/discovery/filter/index.js'

const base = { facts: [], classes: [], identities: [], agents: [] }
const leaf = { kind: 'class', match: { exact: 'x' } }

/** The reason a filter is refused (and that it is refused). */
function refusal (value: unknown): string {
  const result = validateFilter(value)
  assert.equal(result.ok, false, `accepted: ${JSON.stringify(value)}`)
  return result.ok ? '' : result.error
}

const withCompound = (compound: unknown): unknown => ({ ...base, compound })
const withData = (test: unknown): unknown => withCompound({ kind: 'data', test })

/** `not` nested so that the innermost expression is at `depth` (the outermost is at 1). */
function nested (depth: number): unknown {
  let expr: unknown = leaf
  for (let i = 1; i < depth; i++) expr = { kind: 'not', expr }
  return expr
}

/** An expression of exactly `count` parts, shallow (balanced `and`s, a `not` where one is odd). */
function parts (count: number): unknown {
  if (count === 1) return leaf
  if (count === 2) return { kind: 'not', expr: leaf }
  const left = Math.floor((count - 1) / 2)
  return { kind: 'and', left: parts(left), right: parts(count - 1 - left) }
}

describe('the network filter validator: refusals and their reasons', () => {
  it('the filter itself', () => {
    assert.equal(refusal(null), 'filter: expected an object')
    assert.equal(refusal([]), 'filter: expected an object')
    assert.equal(refusal('role=web'), 'filter: expected an object')
    assert.equal(refusal({ facts: [], classes: [], identities: [] }), "filter: missing 'agents'")
    assert.equal(refusal({ ...base, extra: 1 }), "filter: unexpected key 'extra'")
  })

  it('the lists: at most 64 entries each, and each entry checked with its place named', () => {
    assert.equal(validateFilter({ ...base, classes: Array.from({ length: 64 }, () => ({ exact: 'x' })) }).ok, true)
    assert.equal(refusal({ ...base, classes: Array.from({ length: 65 }, () => ({ exact: 'x' })) }), 'classes: expected a list of at most 64')
    assert.equal(refusal({ ...base, facts: 'role=web' }), 'facts: expected a list of at most 64')
    assert.equal(refusal({ ...base, identities: [{ exact: 'a' }, 'b'] }), 'identities[1]: expected {exact} or {regex}')
    assert.equal(refusal({ ...base, agents: [{ exact: 'a', regex: 'b' }] }), "agents[0]: unexpected key 'regex'")
    assert.equal(refusal({ ...base, agents: [{}] }), "agents[0]: missing 'regex'")
    assert.equal(refusal({ ...base, classes: [{ regex: 1 }] }), 'classes[0]: expected a string of 0 to 1024 characters')
    assert.equal(refusal({ ...base, classes: [{ exact: 'x'.repeat(1025) }] }), 'classes[0]: expected a string of 0 to 1024 characters')
    assert.equal(validateFilter({ ...base, classes: [{ exact: 'x'.repeat(1024) }, { exact: '' }] }).ok, true)
  })

  it('fact tests', () => {
    const fact = (test: unknown): unknown => ({ ...base, facts: [{ fact: 'role', op: '=', value: 'web' }, test] })
    assert.equal(refusal(fact('role=web')), 'facts[1]: expected a fact test')
    assert.equal(refusal(fact({ fact: 'role', op: '=' })), "facts[1]: missing 'value'")
    assert.equal(refusal(fact({ fact: 'role', op: '=', value: 'web', negate: true })), "facts[1]: unexpected key 'negate'")
    assert.equal(refusal(fact({ fact: '', op: '=', value: 'web' })), 'facts[1]: expected a string of 1 to 256 characters')
    assert.equal(refusal(fact({ fact: 'f'.repeat(257), op: '=', value: 'web' })), 'facts[1]: expected a string of 1 to 256 characters')
    assert.equal(validateFilter(fact({ fact: 'f'.repeat(256), op: '=', value: 'v'.repeat(1024) })).ok, true)
    assert.equal(refusal(fact({ fact: 'role', op: '=', value: 'v'.repeat(1025) })), 'facts[1]: expected a string of 0 to 1024 characters')
    assert.equal(refusal(fact({ fact: 'role', op: '=>', value: 'web' })), 'facts[1]: unknown operator')
    assert.equal(refusal(fact({ fact: 'role', op: 1, value: 'web' })), 'facts[1]: unknown operator')
  })

  it('compound expressions', () => {
    assert.equal(refusal(withCompound('role=web')), 'compound: expected an expression object')
    assert.equal(refusal(withCompound({ kind: 'xor', left: leaf, right: leaf })), 'compound: unknown kind')
    assert.equal(refusal(withCompound({ kind: 'fact', test: 'role=web' })), 'compound fact: expected a fact test')
    assert.equal(refusal(withCompound({ kind: 'fact', test: { fact: 'role', op: '=', value: 'web' }, extra: 1 })), "compound fact: unexpected key 'extra'")
    assert.equal(refusal(withCompound({ kind: 'class', match: 'x' })), 'compound class: expected {exact} or {regex}')
    assert.equal(refusal(withCompound({ kind: 'class' })), "compound class: missing 'match'")
    assert.equal(refusal(withCompound({ kind: 'not' })), "compound not: missing 'expr'")
    assert.equal(refusal(withCompound({ kind: 'and', left: leaf })), "compound and: missing 'right'")
    assert.equal(refusal(withCompound({ kind: 'or', left: leaf, right: leaf, third: leaf })), "compound or: unexpected key 'third'")
    assert.equal(refusal(withCompound({ kind: 'or', left: leaf, right: 'x' })), 'compound: expected an expression object', 'the right side is checked too')
    assert.equal(refusal(withCompound({ kind: 'data' })), "compound data: missing 'test'")
  })

  it('data statements', () => {
    assert.equal(refusal(withData('fstat')), 'compound data: expected a data statement')
    assert.equal(refusal(withData({ source: 'fstat' })), "compound data: missing 'param'")
    assert.equal(refusal(withData({ source: 'fstat', param: '/x', extra: 1 })), "compound data: unexpected key 'extra'")
    assert.equal(refusal(withData({ source: '', param: '/x' })), 'compound data: expected a string of 1 to 32 characters')
    assert.equal(refusal(withData({ source: 'f'.repeat(33), param: '/x' })), 'compound data: expected a string of 1 to 32 characters')
    for (const source of ['Fstat', '1fstat', 'f-stat', 'fs tat']) assert.equal(refusal(withData({ source, param: '/x' })), 'compound data: bad data source name', source)
    assert.equal(validateFilter(withData({ source: 'f'.repeat(32), param: '/x' })).ok, true)
    assert.equal(refusal(withData({ source: 'fstat', param: 1 })), 'compound data: expected a string of 0 to 1024 characters')
    assert.equal(refusal(withData({ source: 'fstat', param: '/x', field: '' })), 'compound data: expected a string of 1 to 64 characters')
    assert.equal(refusal(withData({ source: 'fstat', param: '/x', field: 's'.repeat(65) })), 'compound data: expected a string of 1 to 64 characters')
    assert.equal(refusal(withData({ source: 'fstat', param: '/x', field: 'si-ze' })), 'compound data: bad field name')
    assert.equal(refusal(withData({ source: 'fstat', param: '/x', field: 'size.x' })), 'compound data: bad field name')
    assert.equal(validateFilter(withData({ source: 'fstat', param: '/x', field: 'S'.repeat(64) })).ok, true)
    assert.equal(refusal(withData({ source: 'fstat', param: '/x', op: '=' })), 'compound data: op and value go together')
    assert.equal(refusal(withData({ source: 'fstat', param: '/x', value: '1' })), 'compound data: op and value go together')
    assert.equal(refusal(withData({ source: 'fstat', param: '/x', op: '=>', value: '1' })), 'compound data: unknown operator')
    assert.equal(refusal(withData({ source: 'fstat', param: '/x', op: '=', value: 2 })), 'compound data: expected a string of 0 to 1024 characters')
  })

  it('nesting: 32 levels are accepted, 33 refused; 2048 parts are accepted, 2049 refused', () => {
    assert.equal(validateFilter(withCompound(nested(32))).ok, true)
    assert.equal(refusal(withCompound(nested(33))), 'compound: nested too deeply')
    assert.equal(validateFilter(withCompound(parts(2048))).ok, true)
    assert.equal(refusal(withCompound(parts(2049))), 'compound: too many parts')
  })

  it('a valid filter is copied with exactly its own keys', () => {
    const compound: Expr = {
      kind: 'and',
      left: { kind: 'data', test: { source: 'fstat', param: '/x' } },
      right: { kind: 'or', left: { kind: 'fact', test: { fact: 'a', op: '!~', value: '^b' } }, right: { kind: 'not', expr: { kind: 'class', match: { regex: '^r' } } } }
    }
    const filter = { facts: [{ fact: 'a', op: '<=', value: '2' }], classes: [{ exact: 'c' }], identities: [{ regex: 'i' }], agents: [{ exact: 'p' }], compound }
    assert.deepEqual(validateFilter(JSON.parse(JSON.stringify(filter))), { ok: true, filter })
    const data = { source: 'fstat', param: '/x', field: 'size', op: '>', value: '0' }
    assert.deepEqual(validateFilter(withData(data)), { ok: true, filter: { ...base, compound: { kind: 'data', test: data } } })
    assert.deepEqual(validateFilter(base), { ok: true, filter: base })
  })

  it('the request schema refuses with the same reason', () => {
    const result = filterSchema.safeParse(withData({ source: 'fstat', param: '/x', op: '=' }))
    assert.equal(result.success, false)
    assert.deepEqual(result.error?.issues.map(issue => issue.message), ['compound data: op and value go together'])
    assert.deepEqual(filterSchema.parse(base), base)
  })

  it('only a bad filter is a refusal: an unexpected error is not turned into one', () => {
    const hostile = { ...base, get compound (): unknown { throw new RangeError('boom') } }
    assert.throws(() => validateFilter(hostile), /boom/)
  })
})
