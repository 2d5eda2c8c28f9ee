// How a data statement compares what a source read (evaluate.ts dataMatches, MCollective's
// rules): numbers as numbers, with the right-hand side read as Ruby reads a number; no order
// comparison of text or booleans; no regex on anything but text; no data is no match.
// The values come from real sources on real files: fstat's size (a number) and type (text),
// puppet()'s enabled and applying (booleans), disable_message (text) and since_lastrun (null
// before the first run).
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildFilter, matchesFilter, nodeDataLookup, type NodeView } from '../../src/discovery/filter/index.js'

describe('data statements compare as MCollective does', () => {
  let root: string
  let node: NodeView
  const file = (size: number): string => join(root, `size${size}`)

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'troupe-data-compare-'))
    const statedir = join(root, 'state')
    mkdirSync(statedir)
    writeFileSync(join(statedir, 'classes.txt'), 'settings\n')
    for (const size of [0, 6, 10, 15]) writeFileSync(file(size), 'x'.repeat(size))
    node = { identity: 'node01', facts: {}, classes: [], agents: [], data: nodeDataLookup(join(statedir, 'classes.txt')) }
  })

  after(() => {
    rmSync(root, { recursive: true, force: true })
  })

  const selects = (select: string): boolean => matchesFilter(buildFilter({ select }), node)
  const size = (size: number, comparison: string): boolean => selects(`fstat('${file(size)}').size${comparison}`)

  it('a number with each operator', () => {
    const cases: Array<[string, boolean]> = [
      ['=6', true], ['=7', false], ['!=6', false], ['!=7', true],
      ['<7', true], ['<6', false], ['>5', true], ['>6', false],
      ['<=6', true], ['<=5', false], ['>=6', true], ['>=7', false]
    ]
    for (const [comparison, expected] of cases) assert.equal(size(6, comparison), expected, `size 6 ${comparison}`)
  })

  it('the value is read as Ruby reads a number: hex, binary, octal, floats, signs, underscores', () => {
    const cases: Array<[number, string, boolean]> = [
      [6, '=0x6', true], [6, '=0X6', true], [10, '=0xa', true], [10, '=0xA', true], [6, '=0x7', false],
      [6, '=0b110', true], [6, '=0B110', true], [6, '=0b111', false],
      [15, '=0o17', true], [15, '=017', true], [15, '=0O17', true], [10, '=012', true], [10, '=010', false],
      [6, '=6.0', true], [6, '=0.6e1', true], [6, '=6e0', true], [6, '=6E0', true], [6, '=60e-1', true], [6, '=0.06e+2', true], [6, '=6.5', false],
      [6, '=+6', true], [6, '>-7', true], [6, '>-0x7', true], [6, '<-0x5', false], [6, '>-0b111', true], [6, '>-07', true], [6, '>-6.5', true],
      [10, '=1_0', true], [10, '=1__0', false], [10, '=_10', false], [10, '=10_', false],
      [15, '=0x', false], [6, "=' 6 '", true], [0, '=0', true], [0, '=-0', true]
    ]
    for (const [bytes, comparison, expected] of cases) assert.equal(size(bytes, comparison), expected, `size ${bytes} ${comparison}`)
  })

  it('a number compared with what is not a number, or with a regex, never matches (not even !=)', () => {
    for (const comparison of ['=six', '!=six', '<six', '>=six', '=6x', '!=6x', '=0x6g', '=0b2', '=0o8', '=1e', '=.5', '=~/6/', '!~/7/', '=/6/', '!=/7/']) {
      assert.equal(size(6, comparison), false, `size 6 ${comparison}`)
    }
  })

  it('text: equality and regex, but no order comparison', () => {
    const type = (comparison: string): boolean => selects(`fstat('${file(6)}').type${comparison}`)
    assert.equal(type('=file'), true)
    assert.equal(type('!=file'), false)
    assert.equal(type('!=directory'), true)
    assert.equal(type('=~/^fi/'), true)
    assert.equal(type('!~/^fi/'), false)
    assert.equal(type('!~/^dir/'), true)
    for (const comparison of ['>a', '<zzz', '>=file', '<=file']) assert.equal(type(comparison), false, `type ${comparison}`)
  })

  it('booleans: equality as true and false, no order, no regex', () => {
    assert.equal(selects('puppet().enabled=true'), true)
    assert.equal(selects('puppet().enabled!=true'), false)
    assert.equal(selects('puppet().applying=false'), true)
    assert.equal(selects('puppet().applying!=false'), false)
    for (const comparison of ['>=true', '<=true', '>false', '<zzz', '=~/true/', '!~/false/']) assert.equal(selects(`puppet().enabled${comparison}`), false, `enabled ${comparison}`)
  })

  it('without a comparison a statement holds when the value is truthy: 0, empty text, false and null do not', () => {
    assert.equal(selects(`fstat('${file(6)}').size`), true)
    assert.equal(selects(`fstat('${file(0)}').size`), false)
    assert.equal(selects(`fstat('${file(6)}').type`), true)
    assert.equal(selects('puppet().disable_message'), false, 'empty text')
    assert.equal(selects('puppet().enabled'), true)
    assert.equal(selects('puppet().applying'), false)
    assert.equal(selects('puppet().since_lastrun'), false, 'null: never ran')
  })

  it('null (no value) matches no comparison at all', () => {
    for (const comparison of ['=0', '!=0', '>=0', '<0', "=''", "!=''", '=~/.*/', '!~/x/']) assert.equal(selects(`puppet().since_lastrun${comparison}`), false, `since_lastrun ${comparison}`)
    assert.equal(selects('not puppet().since_lastrun=0'), true)
  })
})
