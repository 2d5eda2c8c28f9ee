// Length-prefixed messages over libp2p streams, with a size bound on every read.
import * as lp from 'it-length-prefixed'
import { pipe } from 'it-pipe'
import { pushable, type Pushable } from 'it-pushable'
import type { Stream } from '@libp2p/interface'

/** Calls onMessage for every framed message until the stream ends; frames above maxBytes end the stream with an error. */
export async function readFrames (stream: Stream, maxBytes: number, onMessage: (bytes: Uint8Array) => void): Promise<void> {
  await pipe(stream.source, source => lp.decode(source, { maxDataLength: maxBytes }), async source => {
    for await (const chunk of source) onMessage(chunk.subarray())
  })
}

/** Writes frames pushed into the returned queue until it is ended. */
export function frameWriter (stream: Stream): { queue: Pushable<Uint8Array>, done: Promise<void> } {
  const queue = pushable<Uint8Array>()
  const done = pipe(queue, source => lp.encode(source), stream.sink)
  return { queue, done }
}

/** Sends one frame, then closes the writing side. */
export async function writeFrame (stream: Stream, bytes: Uint8Array): Promise<void> {
  await pipe([bytes], source => lp.encode(source), stream.sink)
}

/** Reads the first frame of a stream (a query), leaving the stream open for the answer. */
export async function readFirstFrame (stream: Stream, maxBytes: number): Promise<Uint8Array> {
  for await (const frame of lp.decode(stream.source, { maxDataLength: maxBytes })) return frame.subarray()
  throw new Error('stream ended before its first frame')
}
