import assert from 'node:assert/strict'
import fc from 'fast-check'
import { buildFilter, parseCompound, parseFactTest, parseMatcher, formatExpr, matchesFilter, evaluateExpr, FilterParseError, filterSchema, type Expr, type NodeView, type Filter } from '../../src/discovery/filter/index.js'

const web01: NodeView = {
  identity: 'web01',
  facts: { role: 'web', env: 'prod', cores: 8, memory_gb: '16', os: { family: 'Debian', release: { major: '12' } }, virtual: true },
  classes: ['settings', 'profile::base', 'role::web'],
  agents: ['rpcutil', 'package']
}

function matches (flags: Parameters<typeof buildFilter>[0], node = web01): boolean {
  return matchesFilter(buildFilter(flags), node)
}


/** npm run mutate runs fewer cases (FUZZ_RUNS): each mutant is run against these again. */
const runs = (n: number): number => Math.min(n, Number(process.env.FUZZ_RUNS ?? n))

describe('filters: each form', () => {
  it('fact operators, numeric when both sides are numbers', () => {
    assert.equal(matches({ facts: ['role=web'] }), true)
    assert.equal(matches({ facts: ['role==web'] }), true)
    assert.equal(matches({ facts: ['role!=web'] }), false)
    assert.equal(matches({ facts: ['cores>4'] }), true)
    assert.equal(matches({ facts: ['cores>10'] }), false)
    assert.equal(matches({ facts: ['cores<=8', 'cores>=8'] }), true)
    assert.equal(matches({ facts: ['memory_gb<9'] }), false, '16 < 9 is false numerically (true as strings)')
    assert.equal(matches({ facts: ['role<x'] }), true, 'strings compare as strings')
    assert.equal(matches({ facts: ['virtual=true'] }), true)
  })

  it('regex fact tests and dotted names', () => {
    assert.equal(matches({ facts: ['role=~/^we/'] }), true)
    assert.equal(matches({ facts: ['role=/^db/'] }), false)
    assert.equal(matches({ facts: ['os.family=Debian'] }), true)
    assert.equal(matches({ facts: ['os.release.major>=12'] }), true)
    assert.equal(matches({ facts: ['os.family=RedHat'] }), false)
  })

  it('an unknown fact matches nothing and is not an error', () => {
    assert.equal(matches({ facts: ['nosuch=1'] }), false)
    assert.equal(matches({ facts: ['nosuch!=1'] }), false)
    assert.equal(matches({ facts: ['os.nosuch.deeper=1'] }), false)
  })

  it('classes, identities (any of), agents', () => {
    assert.equal(matches({ classes: ['role::web'] }), true)
    assert.equal(matches({ classes: ['/^profile::/'] }), true)
    assert.equal(matches({ classes: ['role::db'] }), false)
    assert.equal(matches({ identities: ['db01', 'web01'] }), true)
    assert.equal(matches({ identities: ['/^db/'] }), false)
    assert.equal(matches({ agents: ['package'] }), true)
    assert.equal(matches({ agents: ['puppet'] }), false)
  })

  it('compound expressions with and, or, not, ! and parentheses', () => {
    assert.equal(matches({ select: 'role=web and env=prod' }), true)
    assert.equal(matches({ select: 'role=db or role::web' }), true)
    assert.equal(matches({ select: 'not role::web' }), false)
    assert.equal(matches({ select: '! env=dev' }), true)
    assert.equal(matches({ select: '(role=db or env=prod) and not /^role::db$/' }), true)
    assert.equal(matches({ select: 'role=web and (env=dev or cores<2)' }), false)
  })

  it('several flags combine with and', () => {
    assert.equal(matches({ facts: ['role=web'], classes: ['profile::base'], agents: ['rpcutil'], select: 'env=prod' }), true)
    assert.equal(matches({ facts: ['role=web'], classes: ['role::db'] }), false)
  })

  it('a parse error points at the offending character', () => {
    assert.throws(() => parseCompound('role=web and )'), (err: Error) => err instanceof FilterParseError && err.position === 13)
    assert.throws(() => parseCompound('(role=web'), /missing '\)'/)
    assert.throws(() => parseCompound('role=web and'), /ends too early/)
    assert.throws(() => parseFactTest('=web'), FilterParseError)
    assert.throws(() => parseMatcher('/(unclosed/'), /invalid regex/)
  })

  it('a catastrophic regex cannot hang a node: evaluation is bounded and counts as no match', () => {
    const node = { ...web01, facts: { ...web01.facts, evil: 'a'.repeat(40) + '!' } }
    assert.equal(matches({ facts: ['evil=~/(a+)+$/'] }, node), false)
    assert.equal(matches({ facts: ['evil=~/^a+!$/'] }, node), true)
  })
})

// Generators for the property tests: names and values from the alphabet the language allows.
const name = fc.stringMatching(/^[a-z_][a-z0-9_:.]{0,8}$/).filter(text => !['and', 'or', 'not'].includes(text))
const value = fc.string({ maxLength: 10 }).filter(text => !text.includes('\n'))
const regexSource = fc.stringMatching(/^[a-z0-9^$.*+?|]{0,8}$/).filter(source => { try { RegExp(source); return true } catch { return false } })
const matcher = fc.oneof(name.map(exact => ({ exact })), regexSource.map(regex => ({ regex })))
const factTest = fc.oneof(
  fc.record({ fact: name, op: fc.constantFrom('=' as const, '!=' as const, '<' as const, '>' as const, '<=' as const, '>=' as const), value }),
  fc.record({ fact: name, op: fc.constant('=~' as const), value: regexSource })
)
const expr: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>(tie => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    factTest.map(test => ({ kind: 'fact' as const, test })),
    matcher.map(match => ({ kind: 'class' as const, match })),
    fc.record({ kind: fc.constant('and' as const), left: tie('expr'), right: tie('expr') }),
    fc.record({ kind: fc.constant('or' as const), left: tie('expr'), right: tie('expr') }),
    fc.record({ kind: fc.constant('not' as const), expr: tie('expr') })
  )
})).expr

describe('filters: properties', () => {
  it('printing a parsed expression and parsing it again gives the same expression', () => {
    fc.assert(fc.property(expr, e => {
      assert.deepEqual(parseCompound(formatExpr(e)), e)
    }), { numRuns: runs(2000) })
  })

  it('random input never throws anything but a parse error', () => {
    const alphabet = fc.string({ unit: fc.constantFrom(...'ab=!<>~/()" \\andort.:*+'.split('')), maxLength: 40 })
    fc.assert(fc.property(fc.oneof(alphabet, fc.string({ maxLength: 40 })), text => {
      for (const parse of [parseCompound, parseFactTest, parseMatcher]) {
        try { parse(text) } catch (err) { if (!(err instanceof FilterParseError)) throw err }
      }
    }), { numRuns: runs(5000) })
  })

  it('any generated filter passes the network schema and evaluates without throwing', () => {
    fc.assert(fc.property(expr, e => {
      const filter: Filter = { facts: [], classes: [], identities: [], agents: [], compound: e }
      assert.equal(filterSchema.safeParse(JSON.parse(JSON.stringify(filter))).success, true)
      evaluateExpr(e, web01)
    }), { numRuns: runs(1000) })
  })

  it('the network schema refuses hostile nesting without exhausting the stack', () => {
    let deep: unknown = { kind: 'class', match: { exact: 'x' } }
    for (let i = 0; i < 100_000; i++) deep = { kind: 'not', expr: deep }
    assert.equal(filterSchema.safeParse({ facts: [], classes: [], identities: [], agents: [], compound: deep }).success, false)
  })
})

describe('filters: MCollective operators bring Ruby regexes and habits', () => {
  it('\\A, \\z, (?i) and POSIX classes work; what cannot be translated is refused with how to write it', () => {
    assert.equal(matches({ facts: ['role=~/\\Awe/'] }), true)
    assert.equal(matches({ facts: ['role=~/eb\\z/'] }), true)
    assert.equal(matches({ facts: ['role=~/(?i)WEB/'] }), true)
    assert.equal(matches({ facts: ['role=~/^[[:alpha:]]+$/'] }), true)
    assert.equal(matches({ facts: ['memory_gb=~/^\\h+$/'] }), true)
    assert.throws(() => parseFactTest('role=~/a(?i)b/'), /work only at the very start of the pattern: write \/\(\?i\)web\//)
    assert.throws(() => parseFactTest('role=~/(?x) w e b/'), /remove the spaces and comments/)
    assert.throws(() => parseFactTest('role=~/#{x}/'), /interpolation is not supported/)
  })

  it('an unknown operator is refused, never read as equality', () => {
    for (const text of ['role=!web', 'role<>web', 'role===web', 'role=~~web', 'role>=<1']) {
      assert.throws(() => parseFactTest(text), /unknown operator/, text)
      assert.throws(() => parseCompound(text), FilterParseError, text)
    }
    assert.deepEqual(parseFactTest('role=>2'), { fact: 'role', op: '>=', value: '2' })
    assert.deepEqual(parseFactTest('role="=x"'), { fact: 'role', op: '=', value: '=x' })
  })

  it('-W mixes classes and fact tests; a data statement the directory cannot read is decided by the node', () => {
    assert.equal(matches({ with: ['role::web role=web'] }), true)
    assert.equal(matches({ with: ['role::db role=web'] }), false)
    const filter = buildFilter({ select: "fstat('/etc/hostname').present=1 and role=web" })
    assert.equal(matchesFilter(filter, web01), false, 'the directory alone cannot say')
    assert.equal(matchesFilter(filter, web01, { unknownMatches: true }), true)
    assert.equal(matchesFilter(filter, { ...web01, data: () => ({ present: 1 }) }), true)
    assert.equal(matchesFilter(filter, { ...web01, data: () => ({ present: 0 }) }), false)
  })
})
