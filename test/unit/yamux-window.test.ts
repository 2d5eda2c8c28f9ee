// @chainsafe/libp2p-yamux 7.0.4 answered every data frame it read with a window update: one more
// encrypted write per message on every peer. patches/ (applied by patch-package when npm installs)
// makes it grant credit once half the window is used, as go-yamux and rust-yamux do. Here two
// muxers talk in memory and the frames one of them sends are counted.
import assert from 'node:assert/strict'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Stream, StreamMuxer } from '@libp2p/interface'

const HEADER_BYTES = 12
const TYPE_WINDOW_UPDATE = 1

type Chunk = Uint8Array | { subarray: () => Uint8Array }

/** Counts the window-update frames in a muxer's output while passing the bytes on. */
function frameCounter (): { count: () => number, tap: (source: AsyncIterable<Chunk>) => AsyncGenerator<Uint8Array> } {
  let updates = 0
  let buffered = new Uint8Array(0)
  return {
    count: () => updates,
    tap: async function * (source) {
      for await (const chunk of source) {
        const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray()
        const joined = new Uint8Array(buffered.length + bytes.length)
        joined.set(buffered)
        joined.set(bytes, buffered.length)
        let at = 0
        while (joined.length - at >= HEADER_BYTES) {
          const view = new DataView(joined.buffer, joined.byteOffset + at)
          const type = view.getUint8(1)
          const length = view.getUint32(8)
          const body = type === 0 ? length : 0
          if (joined.length - at < HEADER_BYTES + body) break
          if (type === TYPE_WINDOW_UPDATE) updates++
          at += HEADER_BYTES + body
        }
        buffered = joined.slice(at)
        yield bytes
      }
    }
  }
}

const silent = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false })
const components = { logger: { forComponent: () => silent } }

async function connectedPair (onIncoming: (stream: Stream) => void): Promise<{ client: StreamMuxer, serverUpdates: () => number }> {
  const factory = yamux()(components as never)
  const client = factory.createStreamMuxer({ direction: 'outbound' })
  const server = factory.createStreamMuxer({ direction: 'inbound', onIncomingStream: onIncoming })
  const counter = frameCounter()
  void client.sink(counter.tap(server.source as AsyncIterable<Chunk>))
  void server.sink(client.source)
  return { client, serverUpdates: counter.count }
}

async function readAll (stream: { source: AsyncIterable<Chunk> }): Promise<number> {
  let total = 0
  for await (const chunk of stream.source) total += (chunk instanceof Uint8Array ? chunk : chunk.subarray()).length
  return total
}

describe('yamux window updates (patches/@chainsafe+libp2p-yamux)', () => {
  it('a hundred small messages are not answered with a hundred window updates', async () => {
    let received: Promise<number> = Promise.resolve(0)
    const { client, serverUpdates } = await connectedPair(stream => { received = readAll(stream) })
    const stream = await client.newStream()
    const messages = Array.from({ length: 100 }, () => new Uint8Array(200).fill(7))
    await stream.sink((async function * () {
      for (const message of messages) {
        yield message
        await new Promise(resolve => setImmediate(resolve))
      }
    })())
    assert.equal(await received, 100 * 200)
    // The receiver acknowledges the new stream (ACK) and may close it (FIN): nothing per message.
    assert.ok(serverUpdates() <= 2, `${serverUpdates()} window updates for 100 messages`)
  })

  it('credit still flows: 2 MiB pass a 256 KiB window', async () => {
    let received: Promise<number> = Promise.resolve(0)
    const { client } = await connectedPair(stream => { received = readAll(stream) })
    const stream = await client.newStream()
    await stream.sink((async function * () {
      for (let i = 0; i < 128; i++) yield new Uint8Array(16 * 1024).fill(i)
    })())
    assert.equal(await received, 2 * 1024 * 1024)
  })
})
