import assert from 'node:assert/strict'
import { Answers } from '../../src/requester/answers.js'

describe('Answers (which expected nodes a send still waits for)', function () {
  it('a notice does not end the wait for its node; the reply that follows does, and is taken', function () {
    let done = 0
    const answers = new Answers(['a', 'b'], () => { done += 1 })
    assert.equal(answers.take({ peer: 'a', delivery: 'direct' }), true)
    assert.equal(answers.take({ peer: 'b', delivery: 'undelivered' }), true)
    assert.equal(done, 0, 'b has only said it acted: its reply may still come')
    assert.deepEqual([...answers.silent], [], 'b is not asked again: it acted')
    assert.equal(answers.take({ peer: 'b', delivery: 'relayed' }), true, 'the reply after the notice is taken')
    assert.equal(done, 1)
  })

  it('a refusal answers a node; anything after a reply is dropped', function () {
    let done = 0
    const answers = new Answers(['a', 'b'], () => { done += 1 })
    assert.equal(answers.take({ peer: 'a', delivery: 'refused' }), true)
    assert.deepEqual([...answers.silent], ['b'])
    assert.equal(answers.take({ peer: 'b', delivery: 'direct' }), true)
    assert.equal(done, 1)
    assert.equal(answers.take({ peer: 'b', delivery: 'undelivered' }), false, 'a late notice does not undo a reply')
    assert.equal(answers.take({ peer: 'b', delivery: 'direct' }), false, 'nor is a second reply taken')
    assert.equal(done, 1)
  })

  it('with no expected nodes (broadcast) it never finishes the send by itself', function () {
    let done = 0
    const answers = new Answers([], () => { done += 1 })
    assert.equal(answers.take({ peer: 'x', delivery: 'direct' }), true)
    assert.equal(done, 0)
  })
})
