// Frames on libp2p streams (src/transport/framing.ts) are read and written without
// it-length-prefixed's iterator stages, in its format: both ways interoperate with it, whatever
// the chunking, and the size bound holds.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as lp from 'it-length-prefixed'
import type { Stream } from '@libp2p/interface'
import { FrameError, frameWriter, readFrames, withLength, writeFrame } from '../../src/transport/framing.js'

/** A stream whose source yields these chunks and whose sink collects what is written. */
function fakeStream (chunks: Uint8Array[] = []): { stream: Stream, written: () => Uint8Array } {
  const out: Uint8Array[] = []
  const stream = {
    source: (async function * () { for (const chunk of chunks) yield { subarray: () => chunk } })(),
    sink: async (source: AsyncIterable<Uint8Array | { subarray: () => Uint8Array }> | Iterable<Uint8Array>) => {
      for await (const item of source) out.push(item instanceof Uint8Array ? item : item.subarray())
    }
  }
  return { stream: stream as unknown as Stream, written: () => Buffer.concat(out) }
}

/** Cuts bytes at these offsets. */
function cut (bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.map(offset => offset % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let from = 0
  for (const point of [...points, bytes.length]) {
    if (point > from) chunks.push(bytes.subarray(from, point))
    from = Math.max(from, point)
  }
  return chunks
}

const frames = fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 127, maxLength: 300 }), fc.constant(new Uint8Array(20_000).fill(9))), { maxLength: 8 })

describe('framing', () => {
  it('reads what it-length-prefixed writes, however the bytes are chunked', async () => {
    await fc.assert(fc.asyncProperty(frames, fc.array(fc.nat(), { maxLength: 12 }), async (messages, offsets) => {
      const encoded = Buffer.concat(messages.map(message => lp.encode.single(message).subarray()))
      const read: Uint8Array[] = []
      await readFrames(fakeStream(cut(encoded, offsets)).stream, 1 << 20, frame => read.push(Uint8Array.from(frame)))
      assert.deepEqual(read, messages.map(message => Uint8Array.from(message)))
    }), { numRuns: 500 })
  })

  it('writes what it-length-prefixed reads', async () => {
    await fc.assert(fc.asyncProperty(frames, async messages => {
      const { stream, written } = fakeStream()
      const { queue, done } = frameWriter(stream)
      for (const message of messages) queue.push(message)
      queue.end()
      await done
      const decoded: Uint8Array[] = []
      for await (const frame of lp.decode([written()])) decoded.push(frame.subarray())
      assert.deepEqual(decoded.map(frame => Uint8Array.from(frame)), messages.map(message => Uint8Array.from(message)))
      assert.deepEqual(withLength(messages[0] ?? new Uint8Array(0)), lp.encode.single(messages[0] ?? new Uint8Array(0)).subarray())
    }), { numRuns: 300 })
    const one = fakeStream()
    await writeFrame(one.stream, Uint8Array.from([1, 2, 3]))
    assert.deepEqual([...one.written()], [3, 1, 2, 3])
  })

  it('refuses a frame above the bound, and a stream that ends inside a frame', async () => {
    const big = lp.encode.single(new Uint8Array(1001)).subarray()
    await assert.rejects(readFrames(fakeStream([big]).stream, 1000, () => {}), (err: Error) => err instanceof FrameError && /1001 bytes exceeds 1000/.test(err.message))
    const seen: number[] = []
    await assert.rejects(readFrames(fakeStream([Uint8Array.from([2, 7, 7, 3, 1])]).stream, 1000, frame => seen.push(frame.length)), /ended inside a frame/)
    assert.deepEqual(seen, [2], 'the whole frame before it was read')
    await assert.rejects(readFrames(fakeStream([new Uint8Array(9).fill(0xff)]).stream, 1000, () => {}), /length prefix too long/)
  })
})
