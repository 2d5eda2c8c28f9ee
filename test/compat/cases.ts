// MCollective 2.12's own spec cases, restated as troupe's compatibility suite (issue 15).
// Each case names the spec file and line it comes from (marionette-collective
// spec/unit/mcollective/..., mcollective-actionpolicy-auth spec/actionpolicy/...), what
// MCollective expects there, and how to get troupe's answer to the same question. A case
// marked `deliberate` is a documented difference (docs/mcollective-compatibility.md lists
// each by its source): troupe's answer is then `troupe`, and MCollective's `mco`.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  parseFactTest, parseCompound, buildFilter, matchesFilter, evaluateExpr, factMatches, registerDataSource,
  FilterParseError, type Expr, type FactTest, type NodeView
} from '../../src/discovery/filter/index.js'
import { scanCompound } from '../../src/discovery/filter/parse.js'
import { parsePolicy, parseGroups, decide, isCompound, PolicyStore, callerName } from '../../src/security/policy.js'
import { parseLimit, parseBatch, applyLimit, batchSizeFor } from '../../src/discovery/select.js'
import { exitCodeFor } from '../../src/cli/output.js'
import type { RequestResult } from '../../src/requester/session.js'
import { configSchema } from '../../src/config/schema.js'

export interface CompatCase {
  /** spec file (or library file, for behaviour the issue names) and line */
  from: string
  what: string
  /** MCollective's result */
  mco: unknown
  /** troupe's result, computed */
  troupe: () => unknown
  /** a documented difference: the reason (docs/mcollective-compatibility.md) */
  deliberate?: string
  /** troupe's result where it differs deliberately */
  expected?: unknown
}

const U = 'marionette-collective spec/unit/mcollective/util_spec.rb'
const M = 'marionette-collective spec/unit/mcollective/matcher_spec.rb'
const P = 'marionette-collective spec/unit/mcollective/matcher/parser_spec.rb'
const S = 'marionette-collective spec/unit/mcollective/matcher/scanner_spec.rb'
const C = 'marionette-collective spec/unit/mcollective/rpc/client_spec.rb'
const A = 'marionette-collective spec/unit/mcollective/application_spec.rb'
const AP = 'mcollective-actionpolicy-auth spec/actionpolicy/actionpolicy_spec.rb'

// A data source registered the documented way (registerDataSource), standing in for the
// mocked data plugins of the specs: 'foo' returns whatever the case sets.
let fooResult: Record<string, unknown> | undefined
registerDataSource({
  name: 'foo',
  description: 'compatibility suite stand-in for a data plugin',
  defaultField: 'value',
  takesParam: 'optional',
  fields: { value: '', res: '', baz: '', bar: '' },
  read: () => fooResult
})
for (const name of ['baz', 'function', 'rspec', 'data']) {
  registerDataSource({ name, description: 'compatibility suite stand-in', defaultField: 'value', takesParam: true, fields: { value: '', field: '' }, read: () => fooResult })
}

/** MCollective's has_fact?(fact, value, operator) as troupe's -F test on a node whose fact `foo` is `actual`. */
function hasFact (actual: unknown, value: string, operator: string): boolean {
  const op = operator === '==' ? '=' : operator
  return factMatches(parseFactTest(`foo${op}${value}`), { foo: actual })
}

/** parse_fact_string's result in MCollective's terms: = is '==', a /regex/ is its pattern. */
function factString (text: string): { fact: string, value: string, operator: string } | string {
  try {
    const test: FactTest = parseFactTest(text)
    return { fact: test.fact, value: test.value, operator: test.op === '=' ? '==' : test.op }
  } catch (err) {
    if (err instanceof FilterParseError) return 'error'
    throw err
  }
}

function refused (fn: () => unknown): boolean {
  try { fn(); return false } catch (err) { if (err instanceof FilterParseError) return true; throw err }
}

function node (over: Partial<NodeView> = {}): NodeView {
  return { identity: 'rspec', facts: {}, classes: [], agents: [], data: () => fooResult, ...over }
}

function statement (text: string, view: NodeView): boolean {
  return evaluateExpr(parseCompound(text), view)
}

/** A data statement whose source returned `value` (MCollective's execute_function stubbed). */
function fstatement (text: string, value: unknown): boolean {
  fooResult = value === undefined ? undefined : { value }
  try {
    return statement(text, node())
  } finally {
    fooResult = undefined
  }
}

function tokens (text: string): unknown {
  try {
    return scanCompound(text).map(token => [token.type === 'not' ? 'not' : token.type, token.text])
  } catch (err) {
    if (err instanceof FilterParseError) return 'bad_token'
    throw err
  }
}

function dataOf (text: string): unknown {
  const expr = parseCompound(text)
  return expr.kind === 'data' ? expr.test : expr
}

/** An actionpolicy decision for caller/action on a node; true = allowed. */
function policy (text: string, request: { caller?: string, action?: string, facts?: Record<string, unknown>, classes?: string[], data?: NodeView['data'] } = {}, groupsText = ''): boolean {
  let parsed
  try {
    parsed = parsePolicy(text, 'rspec_agent.policy')
  } catch {
    return false // a file troupe cannot read refuses its agent
  }
  const groups = parseGroups(groupsText, 'groups')
  return decide(parsed, callerName(request.caller ?? 'rspec_caller'), request.action ?? 'rspec_action', node({ facts: request.facts ?? {}, classes: request.classes ?? [], data: request.data }), 'rspec_agent.policy', groups).allowed
}

function policyRefusesFile (text: string): boolean {
  try { parsePolicy(text, 'x.policy'); return false } catch { return true }
}

const GROUPS = '# line to ignore\nsysadmin cert=sa1 cert=sa2 rspec_caller\napp_admin cert=aa1 cert=aa2\nsingle_group rspec_caller\ninvalid_group\n'

/** A policy_dir with the given files; the store's decision for rspec_agent. */
function storeDecision (files: Record<string, string>, options: ConstructorParameters<typeof PolicyStore>[2] = {}): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-compat-'))
  mkdirSync(dir, { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  const store = new PolicyStore(dir, () => {}, options)
  store.reload()
  return store.decide('rspec_agent', 'rspec_caller', 'rspec_action', node()).allowed
}

function result (over: { expected: number, replies: readonly number[], missing?: readonly string[], broadcast?: boolean }): RequestResult {
  const replies = over.replies.map((status, i) => ({ identity: `n${i}`, status, statusmsg: '', data: {}, ms: 1 }))
  const ok = replies.filter(reply => reply.status === 0).length
  return {
    request: { id: 'x', agent: 'rpcutil', action: 'ping', filter: buildFilter({}) },
    replies,
    missing: [...(over.missing ?? [])],
    lastSeen: {},
    unknown: [],
    stats: { expected: over.broadcast === true ? replies.length : over.expected, responded: replies.length, ok, failed: replies.length - ok, elapsed_ms: 1, publish_to_last_reply_ms: 1 }
  }
}

const ten = Array.from({ length: 10 }, (_, i) => String(i + 1))

function hasFactCases (file: string, lines: number[], actual: unknown, rows: Array<[string, string, boolean]>): CompatCase[] {
  return rows.map(([value, op, mco], i) => ({ from: `${file}:${lines[i] ?? 0}`, what: `has_fact?(${JSON.stringify(actual)} ${op} ${value})`, mco, troupe: () => hasFact(actual, value, op) }))
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i)

const REGEX_ROWS: Array<[string, string, boolean]> = [['foo', '=~', true], ['/foo/', '=~', true], ['foo', '=~', true], ['bar', '=~', false], ['/bar/', '=~', false], ['bar', '=~', false]]
const NUMERIC_ROWS: Array<[string, string, boolean]> = [['2', '>=', false], ['1', '>=', true], ['2', '<=', true], ['1', '<=', true], ['1', '<', false], ['1', '>', false], ['1', '!=', false], ['2', '!=', true]]
const ALPHA_ROWS: Array<[string, string, boolean]> = [['c', '>=', false], ['a', '>=', true], ['a', '<=', false], ['b', '<=', true], ['b', '<', false], ['b', '>', false], ['b', '!=', false], ['a', '!=', true]]

export const CASES: CompatCase[] = [
  // ---- util_spec.rb: has_fact?, test_fact_value, parse_fact_string, has_cf_class? ----
  { from: `${U}:64`, what: 'a /regex/ class matches', mco: true, troupe: () => matchesFilter(buildFilter({ classes: ['/class/'] }), node({ classes: ['test_class_test'] })) },
  { from: `${U}:72`, what: 'an exact class matches', mco: true, troupe: () => matchesFilter(buildFilter({ classes: ['test_class_test'] }), node({ classes: ['test_class_test'] })) },
  { from: `${U}:231`, what: 'a missing fact matches nothing', mco: false, troupe: () => factMatches(parseFactTest('foo=1'), {}) },
  ...hasFactCases(U, range(236, 6), 'foo', REGEX_ROWS),
  ...hasFactCases(U, [246, 247], 'foo', [['foo', '==', true], ['bar', '==', false]]),
  ...hasFactCases(U, range(252, 8), '1', NUMERIC_ROWS),
  ...hasFactCases(U, range(264, 8), 'b', ALPHA_ROWS),
  ...hasFactCases(U, range(277, 6), ['foo', 'baz'], REGEX_ROWS),
  ...hasFactCases(U, [287, 288], ['foo', 'baz'], [['foo', '==', true], ['bar', '==', false]]),
  ...hasFactCases(U, range(293, 8), ['1'], NUMERIC_ROWS),
  ...hasFactCases(U, range(305, 8), ['b'], ALPHA_ROWS),
  ...hasFactCases(U, range(319, 6), { foo: 1, baz: 2 }, REGEX_ROWS),
  ...hasFactCases(U, [329, 330], { foo: 1, baz: 2 }, [['foo', '==', true], ['bar', '==', false]]),
  ...hasFactCases(U, range(335, 8), { 1: 'one' }, NUMERIC_ROWS),
  ...hasFactCases(U, range(347, 8), { b: 2 }, ALPHA_ROWS),
  ...hasFactCases(U, range(361, 6), 'foo', REGEX_ROWS),
  ...hasFactCases(U, [370, 371], 'foo', [['foo', '==', true], ['bar', '==', false]]),
  ...hasFactCases(U, range(375, 8), '1', NUMERIC_ROWS),
  ...hasFactCases(U, range(383, 4), '100', [['2', '>', true], ['2', '>=', true], ['2', '<', false], ['2', '<=', false]]),
  ...hasFactCases(U, range(390, 8), 'b', ALPHA_ROWS),
  ...([
    [404, 'foo=/bar/', { fact: 'foo', value: 'bar', operator: '=~' }],
    [405, 'foo = /bar/', { fact: 'foo', value: 'bar', operator: '=~' }],
    [409, 'foo=bar', { fact: 'foo', value: 'bar', operator: '==' }],
    [410, 'foo = bar', { fact: 'foo', value: 'bar', operator: '==' }],
    [414, 'foo=~bar', { fact: 'foo', value: 'bar', operator: '=~' }],
    [415, 'foo =~ bar', { fact: 'foo', value: 'bar', operator: '=~' }],
    [419, 'foo=>bar', { fact: 'foo', value: 'bar', operator: '>=' }],
    [420, 'foo => bar', { fact: 'foo', value: 'bar', operator: '>=' }],
    [424, 'foo=<bar', { fact: 'foo', value: 'bar', operator: '<=' }],
    [425, 'foo =< bar', { fact: 'foo', value: 'bar', operator: '<=' }],
    [429, 'foo<=bar', { fact: 'foo', value: 'bar', operator: '<=' }],
    [430, 'foo <= bar', { fact: 'foo', value: 'bar', operator: '<=' }],
    [434, 'foo>=bar', { fact: 'foo', value: 'bar', operator: '>=' }],
    [435, 'foo >= bar', { fact: 'foo', value: 'bar', operator: '>=' }],
    [439, 'foo<bar', { fact: 'foo', value: 'bar', operator: '<' }],
    [440, 'foo < bar', { fact: 'foo', value: 'bar', operator: '<' }],
    [444, 'foo>bar', { fact: 'foo', value: 'bar', operator: '>' }],
    [445, 'foo > bar', { fact: 'foo', value: 'bar', operator: '>' }],
    [449, 'foo>bar', { fact: 'foo', value: 'bar', operator: '>' }],
    [450, 'foo > bar', { fact: 'foo', value: 'bar', operator: '>' }],
    [454, 'foo!=bar', { fact: 'foo', value: 'bar', operator: '!=' }],
    [455, 'foo != bar', { fact: 'foo', value: 'bar', operator: '!=' }],
    [459, 'foo==bar', { fact: 'foo', value: 'bar', operator: '==' }],
    [460, 'foo == bar', { fact: 'foo', value: 'bar', operator: '==' }],
    [465, 'foo', 'error']
  ] as const).map(([line, text, mco]): CompatCase => ({ from: `${U}:${line}`, what: `parse_fact_string('${text}') (a /regex/ as its pattern)`, mco, troupe: () => factString(text) })),

  // ---- matcher_spec.rb: function statements (data sources) and compound evaluation ----
  { from: `${M}:9`, what: "foo('bar').res=1", mco: { source: 'foo', param: 'bar', field: 'res', op: '=', value: '1' }, troupe: () => dataOf("foo('bar').res=1") },
  { from: `${M}:18`, what: 'foo("bar").res=1', mco: { source: 'foo', param: 'bar', field: 'res', op: '=', value: '1' }, troupe: () => dataOf('foo("bar").res=1') },
  { from: `${M}:27`, what: "foo('bar.1').res=1", mco: { source: 'foo', param: 'bar.1', field: 'res', op: '=', value: '1' }, troupe: () => dataOf("foo('bar.1').res=1") },
  { from: `${M}:36`, what: "foo('bar').res=/reg/", mco: { source: 'foo', param: 'bar', field: 'res', op: '=~', value: 'reg' }, troupe: () => dataOf("foo('bar').res=/reg/") },
  { from: `${M}:45`, what: "foo('bar').res<=1", mco: { source: 'foo', param: 'bar', field: 'res', op: '<=', value: '1' }, troupe: () => dataOf("foo('bar').res<=1") },
  { from: `${M}:52`, what: "foo('bar').res>=1", mco: { source: 'foo', param: 'bar', field: 'res', op: '>=', value: '1' }, troupe: () => dataOf("foo('bar').res>=1") },
  { from: `${M}:61`, what: "foo('bar')<=1 (no field)", mco: { source: 'foo', param: 'bar', op: '<=', value: '1' }, troupe: () => dataOf("foo('bar')<=1") },
  { from: `${M}:70`, what: "foo('bar.one')<=1", mco: { source: 'foo', param: 'bar.one', op: '<=', value: '1' }, troupe: () => dataOf("foo('bar.one')<=1") },
  { from: `${M}:79`, what: "foo('bar.one.two, bar.three.four')<=1", mco: { source: 'foo', param: 'bar.one.two, bar.three.four', op: '<=', value: '1' }, troupe: () => dataOf("foo('bar.one.two, bar.three.four')<=1") },
  { from: `${M}:88`, what: 'foo()<=1 (no parameter)', mco: { source: 'foo', param: '', op: '<=', value: '1' }, troupe: () => dataOf('foo()<=1') },
  { from: `${M}:97`, what: "foo('')=1", mco: { source: 'foo', param: '', op: '=', value: '1' }, troupe: () => dataOf("foo('')=1") },
  {
    from: `${M}:121`,
    what: 'a field the data source does not have',
    mco: 'nil (the statement is false)',
    troupe: () => refused(() => parseCompound("foo('bar').nosuch=1")) ? 'refused when parsed' : 'evaluated',
    deliberate: 'a misspelt field is refused with the list of fields, not silently false on every node',
    expected: 'refused when parsed'
  },
  { from: `${M}:133`, what: '/foo/ statement is a class regex', mco: true, troupe: () => statement('/foo/', node({ classes: ['xfoox'] })) },
  { from: `${M}:135`, what: '/foo/ statement, no such class', mco: false, troupe: () => statement('/foo/', node({ classes: ['bar'] })) },
  { from: `${M}:140`, what: 'foo=bar statement is a fact test', mco: true, troupe: () => statement('foo=bar', node({ facts: { foo: 'bar' } })) },
  { from: `${M}:142`, what: 'foo=/bar/ statement is a regex fact test', mco: false, troupe: () => statement('foo=/bar/', node({ facts: { foo: 'baz' } })) },
  { from: `${M}:147`, what: 'foo statement is a class', mco: true, troupe: () => statement('foo', node({ classes: ['foo'] })) },
  { from: `${M}:149`, what: 'foo statement, no such class', mco: false, troupe: () => statement('foo', node({ classes: [] })) },
  { from: `${M}:164`, what: "a string result compared with '<'", mco: false, troupe: () => fstatement("foo('bar').value<teststring", 'teststring') },
  { from: `${M}:170`, what: "true compared with '<'", mco: false, troupe: () => fstatement("foo('bar').value<teststring", true) },
  { from: `${M}:176`, what: "false compared with '<'", mco: false, troupe: () => fstatement("foo('bar').value<teststring", false) },
  { from: `${M}:182`, what: 'the source returned nothing', mco: false, troupe: () => fstatement("foo('bar').value<teststring", undefined) },
  {
    from: `${M}:198`,
    what: 'a backtick in a parameter',
    mco: false,
    troupe: () => fstatement("foo('`bar`').value=teststring", 'teststring'),
    deliberate: 'troupe never evaluates a parameter as code or passes it to a shell; a backtick is a character like any other',
    expected: true
  },
  { from: `${M}:206`, what: 'a regex on a number', mco: false, troupe: () => fstatement("foo('bar').value=/foo/", 1) },
  { from: `${M}:225`, what: 'a regex that matches', mco: true, troupe: () => fstatement("foo('bar').value=/teststring/", 'teststring') },
  { from: `${M}:233`, what: '!= with a regex that matches (!=~)', mco: false, troupe: () => fstatement("foo('bar').value!=/teststring/", 'teststring') },
  { from: `${M}:241`, what: '!= with a regex equal to the value', mco: false, troupe: () => fstatement("foo('bar').value!=/teststring/", 'teststring') },
  { from: `${M}:249`, what: 'a regex that does not match', mco: false, troupe: () => fstatement("foo('bar').value=/teststring/", 'testsnotstring') },
  { from: `${M}:257`, what: '1 >= 1', mco: true, troupe: () => fstatement("foo('bar').value>=1", 1) },
  { from: `${M}:265`, what: 'integer literal 0xa equals 10', mco: true, troupe: () => fstatement("foo('bar').value=0xa", 10) },
  { from: `${M}:273`, what: 'float literal 0.5e2 equals 50', mco: true, troupe: () => fstatement("foo('bar').value=0.5e2", 50) },
  { from: `${M}:281`, what: 'false == false', mco: true, troupe: () => fstatement("foo('bar').value=false", false) },
  { from: `${M}:289`, what: "the string '1' > '1'", mco: false, troupe: () => fstatement("foo('bar').value>1", '1') },
  {
    from: `${M}:301`,
    what: "foo('bar')=1 and bar=/bar/",
    mco: { kind: 'and', left: { kind: 'data', test: { source: 'foo', param: 'bar', op: '=', value: '1' } }, right: { kind: 'fact', test: { fact: 'bar', op: '=~', value: 'bar' } } },
    troupe: () => parseCompound("foo('bar')=1 and bar=/bar/")
  },
  {
    from: 'marionette-collective lib/mcollective/matcher.rb:118',
    what: '-S "foo!=bar" on a node whose foo is baz',
    mco: false,
    troupe: () => statement('foo!=bar', node({ facts: { foo: 'baz' } })),
    deliberate: "MCollective splits 'foo!=bar' at '=' and tests a fact named 'foo!' for equality: != never matches inside -S",
    expected: true
  },
  {
    from: 'marionette-collective lib/mcollective/matcher.rb:120',
    what: '-S "foo=~ba" on a node whose foo is bar',
    mco: false,
    troupe: () => statement('foo=~ba', node({ facts: { foo: 'bar' } })),
    deliberate: "MCollective reads 'foo=~ba' inside -S as foo equal to '~ba'; troupe reads =~ as in -F",
    expected: true
  },

  // ---- parser_spec.rb ----
  ...([
    [14, 'foo=bar', { kind: 'fact', test: { fact: 'foo', op: '=', value: 'bar' } }],
    [19, 'foo<bar', { kind: 'fact', test: { fact: 'foo', op: '<', value: 'bar' } }],
    [24, 'foo>bar', { kind: 'fact', test: { fact: 'foo', op: '>', value: 'bar' } }],
    [29, 'foo<=bar', { kind: 'fact', test: { fact: 'foo', op: '<=', value: 'bar' } }],
    [34, 'foo>=bar', { kind: 'fact', test: { fact: 'foo', op: '>=', value: 'bar' } }],
    [39, '/foo/', { kind: 'class', match: { regex: 'foo' } }],
    [44, 'foo=/bar/', { kind: 'fact', test: { fact: 'foo', op: '=~', value: 'bar' } }],
    [49, 'foo=bar and bar=foo', { kind: 'and', left: { kind: 'fact', test: { fact: 'foo', op: '=', value: 'bar' } }, right: { kind: 'fact', test: { fact: 'bar', op: '=', value: 'foo' } } }],
    [60, 'foo=bar or bar=foo', { kind: 'or', left: { kind: 'fact', test: { fact: 'foo', op: '=', value: 'bar' } }, right: { kind: 'fact', test: { fact: 'bar', op: '=', value: 'foo' } } }],
    [71, '! bar=foo', { kind: 'not', expr: { kind: 'fact', test: { fact: 'bar', op: '=', value: 'foo' } } }],
    [73, 'not bar=foo', { kind: 'not', expr: { kind: 'fact', test: { fact: 'bar', op: '=', value: 'foo' } } }],
    [84, '(foo=bar)', { kind: 'fact', test: { fact: 'foo', op: '=', value: 'bar' } }],
    [55, 'and foo=bar', 'error'],
    [66, 'or foo=bar', 'error'],
    [79, 'foo=bar !', 'error'],
    [90, ')foo=bar(', 'error'],
    [96, '(foo=bar', 'error']
  ] as const).map(([line, text, mco]): CompatCase => ({
    from: `${P}:${line}`,
    what: `-S '${text}'`,
    mco,
    troupe: () => { try { return parseCompound(text) } catch (err) { if (err instanceof FilterParseError) return 'error'; throw err } }
  })),
  {
    from: `${P}:101`,
    what: '(foo=bar or foo=rab) and (bar=foo)',
    mco: true,
    troupe: () => statement('(foo=bar or foo=rab) and (bar=foo)', node({ facts: { foo: 'rab', bar: 'foo' } }))
  },
  {
    from: `${P}:108`,
    what: 'fstatements and statements with spaces around operators',
    mco: 'foo(bar).value=1 and foo=bar or foo=bar and baz(abc)=xyz',
    troupe: () => {
      const e = parseCompound(`foo('bar').value = 1 and foo=bar or foo  = bar and baz("abc") = "xyz"`)
      const show = (x: Expr): string => x.kind === 'data' ? `${x.test.source}(${x.test.param})${x.test.field !== undefined ? '.' + x.test.field : ''}=${x.test.value ?? ''}` : x.kind === 'fact' ? `${x.test.fact}=${x.test.value}` : x.kind === 'and' || x.kind === 'or' ? `${show(x.left)} ${x.kind} ${show(x.right)}` : '?'
      return show(e)
    }
  },
  {
    from: `${P}:113`,
    what: 'classes mixed with fact comparisons and fstatements',
    mco: ['statement', 'and', 'fstatement', 'and', 'statement'],
    troupe: () => scanCompound("klass and function('param').value = 1 and fact=value").map(token => token.type)
  },

  // ---- scanner_spec.rb ----
  ...([
    [9, '(', [['(', '(']]],
    [15, ')', [[')', ')']]],
    [21, 'and ', [['and', 'and']]],
    [27, 'or ', [['or', 'or']]],
    [33, 'not ', [['not', 'not']]],
    [39, '!', [['not', '!']]],
    [45, 'foo=bar', [['statement', 'foo=bar']]],
    [57, '/class/', [['statement', '/class/']]],
    [63, "foo('bar').baz", [['fstatement', "foo('bar').baz"]]],
    [69, "foo('bar')", [['fstatement', "foo('bar')"]]],
    [81, 'foo(', 'bad_token'],
    [87, '/foo/=bar', 'bad_token'],
    [93, '/foo=bar', 'bad_token'],
    [99, 'foo=/bar', 'bad_token'],
    [105, 'foo(bar)', 'bad_token'],
    [111, "foo('bar').val-ue", 'bad_token'],
    [117, "foo('bar').a.b", 'bad_token'],
    [123, "foo('a' 'b')", 'bad_token'],
    [127, 'foo("a" "b")', 'bad_token'],
    [134, "foo('a').bar  = 1", [['fstatement', "foo('a').bar  = 1"]]],
    [140, 'a =  c', [['statement', 'a =  c']]],
    [146, "foo('')", [['fstatement', "foo('')"]]],
    [152, "foo('\"bar\"')", [['fstatement', "foo('\"bar\"')"]]],
    [156, 'foo("\'bar\'")', [['fstatement', 'foo("\'bar\'")']]],
    [162, 'foo=/bar(1|2)/', [['statement', 'foo=/bar(1|2)/']]],
    [168, "foo('bar=baz')", [['fstatement', "foo('bar=baz')"]]]
  ] as const).map(([line, text, mco]): CompatCase => ({ from: `${S}:${line}`, what: `scanning '${text}'`, mco, troupe: () => tokens(text) })),
  {
    from: `${S}:75`,
    what: "foo('bar','baz'): two parameters",
    mco: 'fstatement',
    troupe: () => tokens("foo('bar','baz')"),
    deliberate: "MCollective hands a data plugin one string, so 'bar','baz' reaches it as the text bar','baz; troupe refuses a second parameter",
    expected: 'bad_token'
  },
  ...([
    [134, "foo('a').bar  = 1", { source: 'foo', param: 'a', field: 'bar', op: '=', value: '1' }],
    [152, "foo('\"bar\"')", { source: 'foo', param: '"bar"' }],
    [156, 'foo("\'bar\'")', { source: 'foo', param: "'bar'" }],
    [168, "foo('bar=baz')", { source: 'foo', param: 'bar=baz' }]
  ] as const).map(([line, text, mco]): CompatCase => ({ from: `${S}:${line}`, what: `the statement '${text}' reads`, mco, troupe: () => dataOf(text) })),
  ...([
    [140, 'a =  c', 'c'],
    [162, 'foo=/bar(1|2)/', 'bar(1|2)'],
    [174, 'foo="a very long string"', 'a very long string'],
    [180, "foo='a very long string'", 'a very long string'],
    [186, 'foo="/slashes/in/the/hizzouse"', '/slashes/in/the/hizzouse'],
    [192, 'puppet_vardir=/\\/var\\/lib\\/puppet/', '\\/var\\/lib\\/puppet'],
    [198, 'foo="a very long \\"embedded quoted\\" string"', 'a very long "embedded quoted" string'],
    [204, "foo='a very long \\'embedded quoted\\' string'", "a very long 'embedded quoted' string"]
  ] as const).map(([line, text, mco]): CompatCase => ({
    from: `${S}:${line}`,
    what: `the value of '${text}'`,
    mco,
    troupe: () => { const e = parseCompound(text); return e.kind === 'fact' ? e.test.value : e }
  })),
  { from: `${S}:192`, what: 'the escaped-slash regex matches /var/lib/puppet', mco: true, troupe: () => statement('puppet_vardir=/\\/var\\/lib\\/puppet/', node({ facts: { puppet_vardir: '/var/lib/puppet' } })) },
  {
    from: `${S}:186`,
    what: 'a quoted value that starts with / is compared as text',
    mco: false,
    troupe: () => statement('foo="/slashes/"', node({ facts: { foo: '/slashes/' } })),
    deliberate: 'MCollective strips the quotes and then reads /slashes/ as a regex; in troupe quotes make a value literal',
    expected: true
  },

  // ---- rpc/client_spec.rb: --limit and --batch ----
  { from: `${C}:590`, what: '20% of 10 discovered nodes', mco: 2, troupe: () => applyLimit(ten, parseLimit('20%'), 1).length },
  {
    from: `${C}:596`,
    what: 'the same seed picks the same nodes every time (30% of 10)',
    mco: ['3', '7', '8'],
    troupe: () => { const a = applyLimit(ten, parseLimit('30%'), 5); const b = applyLimit(ten, parseLimit('3'), 5); return JSON.stringify(a) === JSON.stringify(b) ? a.length : -1 },
    deliberate: "the same seed always picks the same nodes, but not the nodes Ruby's srand/rand pick: troupe's generator is its own",
    expected: 3
  },
  { from: `${C}:607`, what: '5 of 10 discovered nodes', mco: 5, troupe: () => applyLimit(ten, parseLimit('5'), 5).length },
  { from: `${C}:641`, what: "limit '10%' is valid", mco: '10%', troupe: () => 'percent' in parseLimit('10%') ? '10%' : 'other' },
  { from: `${C}:648`, what: "limit '20' is 20 nodes", mco: 20, troupe: () => { const l = parseLimit('20'); return 'count' in l ? l.count : -1 } },
  ...(['a', '%1', '1.1'] as const).map((text, i): CompatCase => ({ from: `${C}:${654 + i}`, what: `limit '${text}' is refused`, mco: 'error', troupe: () => { try { parseLimit(text); return 'ok' } catch { return 'error' } } })),
  { from: `${C}:792`, what: "batch size 'foo' is refused", mco: 'error', troupe: () => { try { parseBatch('foo'); return 'ok' } catch { return 'error' } } },
  { from: `${C}:932`, what: "batch size '50%' is accepted", mco: '50%', troupe: () => { const b = parseBatch('50%'); return b !== undefined && 'percent' in b ? `${b.percent}%` : 'other' } },
  { from: `${C}:941`, what: 'batch size 0 turns batching off', mco: false, troupe: () => parseBatch('0') !== undefined },
  { from: `${C}:1267`, what: "batch size '1' batches", mco: true, troupe: () => parseBatch('1') !== undefined },
  { from: `${C}:1269`, what: "batch size '1%' batches", mco: true, troupe: () => parseBatch('1%') !== undefined },
  { from: `${C}:1273`, what: "batch size '0' does not batch", mco: false, troupe: () => parseBatch('0') !== undefined },
  { from: `${C}:1289`, what: "batch size 'foo' fails validation", mco: 'error', troupe: () => { try { parseBatch('foo'); return 'ok' } catch { return 'error' } } },
  { from: `${C}:1295`, what: "batch size '0%' fails validation", mco: 'error', troupe: () => { try { parseBatch('0%'); return 'ok' } catch { return 'error' } } },
  { from: 'marionette-collective lib/mcollective/rpc/client.rb:836', what: 'a 25% batch of 10 nodes is 3 (rounded up)', mco: 3, troupe: () => batchSizeFor({ percent: 25 }, 10) },

  // ---- application_spec.rb: exit codes (troupe: 0/1/2, docs/mcollective-compatibility.md) ----
  { from: `${A}:420`, what: 'discovered 2, both replied OK', mco: 0, troupe: () => exitCodeFor(result({ expected: 2, replies: [0, 0] })) },
  { from: `${A}:431`, what: 'no discovery (broadcast), a reply, OK', mco: 0, troupe: () => exitCodeFor(result({ expected: 0, replies: [0], broadcast: true })) },
  { from: `${A}:447`, what: 'no node discovered', mco: 1, troupe: () => exitCodeFor(result({ expected: 0, replies: [] })) },
  ...([[455, 'a request failed on some nodes', 2, { expected: 2, replies: [0, 1] }], [466, 'no discovery, a failed reply', 2, { expected: 0, replies: [1], broadcast: true }], [477, 'discovered, no reply at all', 3, { expected: 1, replies: [], missing: ['n0'] }], [486, 'no discovery and no reply', 4, { expected: 0, replies: [], broadcast: true }]] as const).map(([line, what, mco, over]): CompatCase => ({
    from: `${A}:${line}`,
    what,
    mco,
    troupe: () => exitCodeFor(result(over)),
    deliberate: "SPEC.md fixes 0/1/2: every failure or missing node is 1 (mco's 2, 3 and 4 map to 1)",
    expected: 1
  })),
  {
    from: 'marionette-collective lib/mcollective/application.rb:339',
    what: 'discovered 2, one replied OK, one did not reply',
    mco: 0,
    troupe: () => exitCodeFor(result({ expected: 2, replies: [0], missing: ['n1'] })),
    deliberate: 'a node that was expected and never answered is a failure in troupe (exit 1, and the output names it: "No response from: ..."); mco exited 0',
    expected: 1
  },

  // ---- actionpolicy_spec.rb ----
  ...([[20, 'one two three', false], [21, 'rspec_action another_action', true], [22, 'another_action rspec_action', true]] as const).map(([line, actions, mco]): CompatCase => ({
    from: `${AP}:${line}`, what: `action rspec_action in '${actions}'`, mco, troupe: () => policy(`allow\t*\t${actions}\t*\t*\n`)
  })),
  ...([[37, 'sysadmin', true], [38, 'app_admin', false], [39, 'single_group', true], [40, 'foo', false]] as const).map(([line, group, mco]): CompatCase => ({
    from: `${AP}:${line}`, what: `rspec_caller in group ${group}`, mco, troupe: () => policy(`allow\t${group}\t*\t*\t*\n`, {}, GROUPS)
  })),
  ...([[46, 'one two three', false], [47, 'rspec_caller another_caller', true], [48, 'another_caller rspec_caller', true]] as const).map(([line, callers, mco]): CompatCase => ({
    from: `${AP}:${line}`, what: `rspec_caller in '${callers}'`, mco, troupe: () => policy(`allow\t${callers}\t*\t*\t*\n`)
  })),
  {
    from: `${AP}:77`,
    what: 'the groups file (members read as caller names, a group without members skipped)',
    mco: { sysadmin: ['sa1', 'sa2', 'rspec_caller'], app_admin: ['aa1', 'aa2'], single_group: ['rspec_caller'] },
    troupe: () => Object.fromEntries(parseGroups(GROUPS, 'groups'))
  },
  { from: `${AP}:99`, what: 'allow_unconfigured defaults to off', mco: 'deny', troupe: () => configSchema.parse({}).policy_unconfigured },
  { from: `${AP}:119`, what: 'no policy file, allow_unconfigured off: denied', mco: false, troupe: () => storeDecision({}) },
  { from: `${AP}:126`, what: 'no policy file, allow_unconfigured on: allowed', mco: true, troupe: () => storeDecision({}, { unconfigured: 'allow' }) },
  { from: `${AP}:139`, what: 'the default policy takes precedence over allow_unconfigured', mco: false, troupe: () => storeDecision({ 'default.policy': 'policy default deny\n' }, { unconfigured: 'allow', defaultPolicy: 'default' }) },
  { from: `${AP}:155`, what: 'an empty policy file denies', mco: false, troupe: () => policy('') },
  { from: `${AP}:163`, what: 'a file of comments denies', mco: false, troupe: () => policy('#') },
  { from: `${AP}:174`, what: 'policy default allow', mco: true, troupe: () => policy('policy default allow\n') },
  { from: `${AP}:178`, what: 'policy default deny', mco: false, troupe: () => policy('policy default deny\n') },
  { from: `${AP}:186`, what: 'example1 (all wildcards, doubled tabs)', mco: true, troupe: () => policy('policy default deny\nallow\t\t*\t\t*\t\t*\t\t*\n') },
  { from: `${AP}:192`, what: 'example2, uid=500', mco: true, troupe: () => policy('policy default deny\nallow\t\tuid=500\t\t*\t\t*\t\t*\n', { caller: 'uid=500' }) },
  { from: `${AP}:196`, what: 'example2, uid=501', mco: false, troupe: () => policy('policy default deny\nallow\t\tuid=500\t\t*\t\t*\t\t*\n', { caller: 'uid=501' }) },
  { from: `${AP}:205`, what: 'example3, action rspec', mco: true, troupe: () => policy('policy default deny\nallow\t*\trspec\t*\t*\n', { action: 'rspec' }) },
  { from: `${AP}:209`, what: 'example3, action notrspec', mco: false, troupe: () => policy('policy default deny\nallow\t*\trspec\t*\t*\n', { action: 'notrspec' }) },
  { from: `${AP}:217`, what: 'example4, foo=bar', mco: true, troupe: () => policy('policy default deny\nallow\t*\t*\tfoo=bar\t*\n', { facts: { foo: 'bar' } }) },
  { from: `${AP}:220`, what: 'example4, foo=notbar', mco: false, troupe: () => policy('policy default deny\nallow\t*\t*\tfoo=bar\t*\n', { facts: { foo: 'notbar' } }) },
  { from: `${AP}:228`, what: 'example5, class rspec', mco: true, troupe: () => policy('policy default deny\nallow\t*\t*\t*\trspec\n', { classes: ['rspec'] }) },
  { from: `${AP}:231`, what: 'example5, no class rspec', mco: false, troupe: () => policy('policy default deny\nallow\t*\t*\t*\trspec\n', { classes: [] }) },
  { from: `${AP}:241`, what: 'example6, uid=500 rspec', mco: true, troupe: () => policy('policy default deny\nallow\tuid=500\trspec\t*\t*\n', { caller: 'uid=500', action: 'rspec' }) },
  { from: `${AP}:246`, what: 'example6, uid=501 notrspec', mco: false, troupe: () => policy('policy default deny\nallow\tuid=500\trspec\t*\t*\n', { caller: 'uid=501', action: 'notrspec' }) },
  { from: `${AP}:256`, what: 'example7, uid=500 foo=bar', mco: true, troupe: () => policy('policy default deny\nallow\tuid=500\t*\tfoo=bar\t*\n', { caller: 'uid=500', facts: { foo: 'bar' } }) },
  { from: `${AP}:261`, what: 'example7, uid=501 foo=notbar', mco: false, troupe: () => policy('policy default deny\nallow\tuid=500\t*\tfoo=bar\t*\n', { caller: 'uid=501', facts: { foo: 'notbar' } }) },
  { from: `${AP}:271`, what: 'example8, uid=500 class rspec', mco: true, troupe: () => policy('policy default deny\nallow\tuid=500\t*\t*\trspec\n', { caller: 'uid=500', classes: ['rspec'] }) },
  { from: `${AP}:275`, what: 'example8, no class rspec', mco: false, troupe: () => policy('policy default deny\nallow\tuid=500\t*\t*\trspec\n', { caller: 'uid=500' }) },
  { from: `${AP}:286`, what: 'example9, all match', mco: true, troupe: () => policy('policy default deny\nallow\tuid=500\trspec\tfoo=bar\t*\n', { caller: 'uid=500', action: 'rspec', facts: { foo: 'bar' } }) },
  { from: `${AP}:292`, what: 'example9, none match', mco: false, troupe: () => policy('policy default deny\nallow\tuid=500\trspec\tfoo=bar\t*\n', { caller: 'uid=501', action: 'notrspec', facts: { foo: 'notbar' } }) },
  { from: `${AP}:303`, what: 'example10, all match', mco: true, troupe: () => policy('policy default deny\nallow\tuid=500\trspec\t*\trspec\n', { caller: 'uid=500', action: 'rspec', classes: ['rspec'] }) },
  { from: `${AP}:309`, what: 'example10, none match', mco: false, troupe: () => policy('policy default deny\nallow\tuid=500\trspec\t*\trspec\n', { caller: 'uid=501', action: 'notrspec' }) },
  { from: `${AP}:317`, what: "example11's line ('allow uid=500' with a space) is not a rule: uid=500 is denied", mco: false, troupe: () => policy('policy default deny\nallow uid=500\trspec\tfoo=bar\trspec\n', { caller: 'uid=500', action: 'rspec', facts: { foo: 'bar' }, classes: ['rspec'] }) },
  { from: `${AP}:342`, what: 'example12, compound facts field', mco: true, troupe: () => policy('policy default deny\nallow\tuid=500\trspec\tfoo=bar and bar=foo\trspec\n', { caller: 'uid=500', action: 'rspec', facts: { foo: 'bar', bar: 'foo' }, classes: ['rspec'] }) },
  { from: `${AP}:353`, what: 'example13, compound classes field', mco: true, troupe: () => policy('policy default deny\nallow\tuid=500\trspec\tfoo=bar\tone and two or three\n', { caller: 'uid=500', action: 'rspec', facts: { foo: 'bar' }, classes: ['one', 'two'] }) },
  { from: `${AP}:363`, what: 'example14, compound last field with parentheses', mco: true, troupe: () => policy('policy default deny\nallow\t\tuid=500\t\trspec\t\tfoo=bar and one or (two and one)\n', { caller: 'uid=500', action: 'rspec', facts: { foo: 'bar' }, classes: ['one'] }) },
  ...((): CompatCase[] => {
    const example15 = 'policy default deny\nallow\t\tuid=500\t\t\t*\t\t\t\t\t\t\t\t\t\t\t\t*\t\t\t\t\t\t\t\t*\nallow\t\tuid=600\t\t\t*\t\t\t\t\t\t\t\t\t\t\t\tcustomer=acme\t\tacme::devserver\nallow\t\tuid=600\t\t\tenable disable status\t\tcustomer=acme\t\t*\nallow\t\tuid=700\t\t\trestart\t\t\t\t\t\t\t\t\t(puppet().enabled=false and environment=production) or environment=development\n'
    const puppetDisabled: NodeView['data'] = source => source === 'puppet' ? { enabled: false } : undefined
    return [
      { from: `${AP}:370`, what: 'example15, first line', mco: true, troupe: () => policy(example15, { caller: 'uid=500' }) },
      { from: `${AP}:377`, what: 'example15, second line', mco: true, troupe: () => policy(example15, { caller: 'uid=600', facts: { customer: 'acme' }, classes: ['acme::devserver'] }) },
      { from: `${AP}:384`, what: 'example15, third line', mco: true, troupe: () => policy(example15, { caller: 'uid=600', action: 'status', facts: { customer: 'acme' } }) },
      { from: `${AP}:399`, what: 'example15, fourth line (puppet() data source)', mco: true, troupe: () => policy(example15, { caller: 'uid=700', action: 'restart', facts: { environment: 'development' }, data: puppetDisabled }) },
      { from: `${AP}:399`, what: 'example15, fourth line in production while Puppet is disabled', mco: true, troupe: () => policy(example15, { caller: 'uid=700', action: 'restart', facts: { environment: 'production' }, data: puppetDisabled }) }
    ]
  })(),
  { from: `${AP}:406`, what: 'example16, uid=600 in the list', mco: true, troupe: () => policy('policy default deny\nallow\tuid=500 uid=600 uid=700\t*\t*\t\t*\n\n', { caller: 'uid=600' }) },
  { from: `${AP}:411`, what: 'example16, uid=800 not in the list', mco: false, troupe: () => policy('policy default deny\nallow\tuid=500 uid=600 uid=700\t*\t*\t\t*\n\n', { caller: 'uid=800' }) },
  { from: `${AP}:424`, what: 'a line for another caller does not match', mco: false, troupe: () => policy('allow\tcaller\t*\t*\t*\n') },
  { from: `${AP}:425`, what: 'a line for a group without the caller does not match', mco: false, troupe: () => policy('allow\tapp_admin\t*\t*\t*\n', {}, GROUPS) },
  { from: `${AP}:429`, what: 'a line for another action does not match', mco: false, troupe: () => policy('allow\t*\taction\t*\t*\n') },
  { from: `${AP}:435`, what: 'caller and action match, * facts and classes', mco: true, troupe: () => policy('allow\trspec_caller\trspec_action\t*\t*\n') },
  { from: `${AP}:436`, what: 'a group containing the caller', mco: true, troupe: () => policy('allow\tsysadmin\trspec_action\t*\t*\n', {}, GROUPS) },
  { from: `${AP}:441`, what: 'four fields, * as the compound', mco: true, troupe: () => policy('allow\trspec_caller\trspec_action\t*\n') },
  { from: `${AP}:447`, what: 'facts field *', mco: true, troupe: () => policy('allow\t*\t*\t*\t*\n') },
  { from: `${AP}:453`, what: "facts field 'foo=bar and bar=foo' is compound", mco: true, troupe: () => policy('allow\t*\t*\tfoo=bar and bar=foo\t*\n', { facts: { foo: 'bar', bar: 'foo' } }) },
  { from: `${AP}:459`, what: "facts field 'foo=bar bar=foo' is a list, all must hold", mco: true, troupe: () => policy('allow\t*\t*\tfoo=bar bar=foo\t*\n', { facts: { foo: 'bar', bar: 'foo' } }) },
  { from: `${AP}:465`, what: 'classes field *', mco: true, troupe: () => policy('allow\t*\t*\t*\t*\n') },
  { from: `${AP}:477`, what: "classes field 'foo bar baz' is a list, all must hold", mco: true, troupe: () => policy('allow\t*\t*\t*\tfoo bar baz\n', { classes: ['foo', 'bar', 'baz'] }) },
  {
    from: `${AP}:484`,
    what: "a class ('rspec') in the facts field",
    mco: 'the line never matches (a warning at request time)',
    troupe: () => policyRefusesFile('allow\t*\t*\trspec\t*\n') ? 'the file is refused at load, with its line' : 'accepted',
    deliberate: 'a line that can never match hides a mistake, and a never-matching deny line widens access: troupe refuses the file and says which line',
    expected: 'the file is refused at load, with its line'
  },
  { from: `${AP}:489`, what: 'foo=bar in the facts field', mco: true, troupe: () => policy('allow\t*\t*\tfoo=bar\t*\n', { facts: { foo: 'bar' } }) },
  {
    from: `${AP}:496`,
    what: "a fact test ('foo=bar') in the classes field",
    mco: 'the line never matches (a warning at request time)',
    troupe: () => policyRefusesFile('allow\t*\t*\t*\tfoo=bar\n') ? 'the file is refused at load, with its line' : 'accepted',
    deliberate: 'as above: refused at load rather than a rule that silently never matches',
    expected: 'the file is refused at load, with its line'
  },
  { from: `${AP}:501`, what: 'class rspec in the classes field', mco: true, troupe: () => policy('allow\t*\t*\t*\trspec\n', { classes: ['rspec'] }) },
  { from: `${AP}:508`, what: 'a fact statement in a compound', mco: true, troupe: () => policy('allow\t*\t*\tfoo=bar or nothing\n', { facts: { foo: 'bar' } }) },
  { from: `${AP}:513`, what: 'a /regex/ class in a compound', mco: true, troupe: () => policy('allow\t*\t*\t/rspec/ or nothing\n', { classes: ['xrspecx'] }) },
  { from: `${AP}:513`, what: 'a /regex/ class in the classes field', mco: true, troupe: () => policy('allow\t*\t*\t*\t/rspec/\n', { classes: ['xrspecx'] }) },
  { from: `${AP}:524`, what: 'the agent\'s own policy file is used', mco: false, troupe: () => storeDecision({ 'rspec_agent.policy': 'policy default deny\n', 'default.policy': 'policy default allow\n' }, { defaultPolicy: 'default' }) },
  { from: `${AP}:531`, what: 'the default policy file when the agent has none', mco: true, troupe: () => storeDecision({ 'default.policy': 'policy default allow\n' }, { defaultPolicy: 'default' }) },
  { from: `${AP}:539`, what: 'a custom default policy name', mco: true, troupe: () => storeDecision({ 'rspec.policy': 'policy default allow\n' }, { defaultPolicy: 'rspec' }) },
  { from: `${AP}:544`, what: 'no policy file and no default: denied', mco: false, troupe: () => storeDecision({ 'default.policy': 'policy default allow\n' }) },
  { from: `${AP}:566`, what: 'a data statement that fails is false', mco: false, troupe: () => policy("allow\t*\t*\trspec('data').value=result\n", { data: () => { throw new Error('error') } }) },
  ...([[572, 'not', true], [573, '!rspec', true], [574, 'and', true], [575, 'or', true], [576, "data('field').value=othervalue", true], [580, 'f1=v1 f1=v2', false], [581, 'class1 class2 /class*/', false]] as const).map(([line, text, mco]): CompatCase => ({
    from: `${AP}:${line}`, what: `is '${text}' compound`, mco, troupe: () => isCompound(text)
  })),
  {
    from: 'mcollective-actionpolicy-auth util/actionpolicy.rb:133',
    what: "caller uid=50 against the list 'uid=500'",
    mco: true,
    troupe: () => policy('allow\tuid=500\t*\t*\t*\n', { caller: 'uid=50' }),
    deliberate: 'actionpolicy tests a caller with a substring search of the field, so uid=50 passes as uid=500; troupe compares whole caller names',
    expected: false
  },
  {
    from: 'mcollective-actionpolicy-auth util/actionpolicy.rb:73',
    what: 'a space-separated deny line before an allow line',
    mco: 'the deny line is skipped with a warning: the request is allowed',
    troupe: () => policyRefusesFile('deny bob * * *\nallow\t*\t*\t*\t*\n') ? 'the file is refused at load, with its line, and the agent denied' : 'allowed',
    deliberate: 'skipping an unreadable deny line widens access; troupe fails closed and reports the file and line',
    expected: 'the file is refused at load, with its line, and the agent denied'
  },
  {
    from: 'mcollective-actionpolicy-auth util/actionpolicy.rb:202',
    what: "'load>=2' in a facts field on a node whose load is 5",
    mco: false,
    troupe: () => policy('allow\t*\t*\tload>=2\t*\n', { facts: { load: '5' } }),
    deliberate: "actionpolicy's fact pattern splits 'load>=2' as the fact 'load>' and '=2', so >= and <= never match there; troupe reads a policy fact test as -F does",
    expected: true
  },
  {
    from: 'marionette-collective lib/mcollective/util.rb:103',
    what: "'10' > '9.5' (integer against decimal)",
    mco: false,
    troupe: () => hasFact('10', '9.5', '>'),
    deliberate: 'MCollective compares numbers only when both are integers or both decimals, else as text; troupe compares any two numbers as numbers',
    expected: true
  },
  {
    from: 'marionette-collective lib/mcollective/util.rb:76',
    what: "a null fact against 'foo!=bar'",
    mco: false,
    troupe: () => factMatches(parseFactTest('foo!=bar'), { foo: null }),
    deliberate: 'a fact that is present with a null value compares as the empty string (issue 15); a missing fact still matches nothing',
    expected: true
  }
]

