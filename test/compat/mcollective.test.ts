// Runs the compatibility cases (cases.ts): each agrees with MCollective, or is a deliberate
// difference listed by its source in docs/mcollective-compatibility.md.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { CASES } from './cases.js'

describe('MCollective compatibility: spec cases restated', () => {
  for (const c of CASES) {
    const label = `${c.from.replace(/^.*spec\//, '').replace(/^.*(lib|util)\//, '$1/')} ${c.what}${c.deliberate !== undefined ? ' [deliberate difference]' : ''}`
    it(label, () => {
      const troupe = c.troupe()
      if (c.deliberate === undefined) {
        assert.deepEqual(troupe, c.mco, `${c.from}: MCollective ${JSON.stringify(c.mco)}, troupe ${JSON.stringify(troupe)}`)
      } else {
        assert.deepEqual(troupe, c.expected, `${c.from}: troupe ${JSON.stringify(troupe)}`)
        assert.notDeepEqual(troupe, c.mco)
      }
    })
  }

  it('every deliberate difference is listed in docs/mcollective-compatibility.md with its source', () => {
    const doc = readFileSync(new URL('../../../docs/mcollective-compatibility.md', import.meta.url), 'utf8')
    for (const c of CASES.filter(c => c.deliberate !== undefined)) {
      const where = c.from.replace(/^(marionette-collective|mcollective-actionpolicy-auth) /, '')
      assert.ok(doc.includes(where), `docs/mcollective-compatibility.md does not list ${where}`)
    }
    const deliberate = CASES.filter(c => c.deliberate !== undefined).length
    const counts = `${CASES.length} cases taken, ${CASES.length - deliberate} agreeing, ${deliberate} deliberate differences`
    assert.ok(doc.includes(counts), `docs/mcollective-compatibility.md should say: ${counts}`)
  })
})
