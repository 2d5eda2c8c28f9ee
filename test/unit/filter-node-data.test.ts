// Which filters only the nodes themselves can decide (needsNodeData): the requester then
// discovers by broadcast, each node deciding for itself, instead of from its directory.
import assert from 'node:assert/strict'
import { buildFilter, needsNodeData, type FilterFlags } from '../../src/discovery/filter/index.js'

const needs = (flags: FilterFlags): boolean => needsNodeData(buildFilter(flags))

describe('filters the directory cannot decide (needsNodeData)', () => {
  it('a filter without -S, or with -S over facts and classes only, is decided from the directory', () => {
    assert.equal(needs({}), false)
    assert.equal(needs({ facts: ['role=web'], classes: ['role::web'], identities: ['web01'], agents: ['puppet'] }), false)
    assert.equal(needs({ select: 'role=web and role::web' }), false)
    assert.equal(needs({ select: 'not (role=web or /^role::/)' }), false)
  })

  it('fact() and agent() read what the directory holds', () => {
    assert.equal(needs({ select: "fact('os.family')=Debian" }), false)
    assert.equal(needs({ select: "agent('puppet')" }), false)
    assert.equal(needs({ select: "fact('role')=web and not agent('package') or role::web" }), false)
  })

  it('fstat(), resource() and puppet() are read on the node, wherever they are in the expression', () => {
    for (const statement of ["fstat('/etc/motd')", "resource('File[/etc/motd]')", 'puppet().enabled=false']) {
      assert.equal(needs({ select: statement }), true, statement)
      assert.equal(needs({ select: `not ${statement}` }), true, `not ${statement}`)
      assert.equal(needs({ select: `${statement} and role=web` }), true, `${statement} and ...`)
      assert.equal(needs({ select: `role=web and ${statement}` }), true, `... and ${statement}`)
      assert.equal(needs({ select: `${statement} or role=web` }), true, `${statement} or ...`)
      assert.equal(needs({ select: `role=web or ${statement}` }), true, `... or ${statement}`)
      assert.equal(needs({ select: `role=web and (role::web or not ${statement})` }), true, `nested ${statement}`)
    }
  })
})
