// The requester agent writes to a CLI in batches (src/requester/line-writer.ts): replies wait a
// few milliseconds for company, other messages go out at the end of the turn with them, in order,
// and nothing queued is lost when the socket is ended.
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { lineWriter, REPLY_COALESCE_MS } from '../../src/requester/line-writer.js'

function fakeSocket (): { socket: Socket, writes: string[], ended: () => boolean } {
  const writes: string[] = []
  let ended = false
  const socket = {
    destroyed: false,
    get writable () { return !ended },
    write: (text: string) => { writes.push(text); return true },
    end: () => { ended = true }
  }
  return { socket: socket as unknown as Socket, writes, ended: () => ended }
}

const turn = async (): Promise<void> => await new Promise(resolve => setImmediate(resolve))
const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

describe('the requester agent\'s writer to a CLI', () => {
  it('replies of one request go out together, after a short wait', async () => {
    const { socket, writes } = fakeSocket()
    const writer = lineWriter(socket)
    for (let i = 0; i < 10; i++) writer.write(`reply ${i}\n`, false)
    await turn()
    assert.deepEqual(writes, [], 'replies wait for company')
    await sleep(REPLY_COALESCE_MS * 3)
    assert.deepEqual(writes, [Array.from({ length: 10 }, (_, i) => `reply ${i}\n`).join('')])
  })

  it('an urgent message goes out at the end of the turn with the replies before it, in order', async () => {
    const { socket, writes } = fakeSocket()
    const writer = lineWriter(socket)
    writer.write('reply 1\n', false)
    writer.write('done\n', true)
    writer.write('hello\n', true)
    assert.deepEqual(writes, [])
    await turn()
    assert.deepEqual(writes, ['reply 1\ndone\nhello\n'])
    await sleep(REPLY_COALESCE_MS * 3)
    assert.equal(writes.length, 1, 'the reply\'s timer wrote nothing more')
  })

  it('end() writes what is queued, then ends the socket', () => {
    const { socket, writes, ended } = fakeSocket()
    const writer = lineWriter(socket)
    writer.write('restart\n', true)
    writer.end()
    assert.deepEqual(writes, ['restart\n'])
    assert.equal(ended(), true)
  })
})
