// Length-prefixed messages over libp2p streams (an unsigned varint length, then the bytes: the
// format of it-length-prefixed), with a size bound on every read. Frames are split and joined
// here in plain loops rather than through another async-iterator stage per frame: every reply a
// requester takes, and its acknowledgement, pass through both, and each stage was a promise, a
// few allocations and a turn of the microtask queue per message.
import * as lp from 'it-length-prefixed'
import { pushable } from 'it-pushable'
import type { Stream } from '@libp2p/interface'

/** A varint never takes more than this many bytes for a length below 2^53 (it-length-prefixed's bound too). */
const MAX_LENGTH_BYTES = 8

/** Frames a reader could not take: too long, or the stream ended inside one. */
export class FrameError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'FrameError'
  }
}

/** Calls onMessage for every framed message until the stream ends; a frame above maxBytes ends the read with a FrameError. */
export async function readFrames (stream: Stream, maxBytes: number, onMessage: (bytes: Uint8Array) => void): Promise<void> {
  let rest: Uint8Array | undefined
  for await (const chunk of stream.source) {
    const incoming = chunk.subarray()
    let data = incoming
    if (rest !== undefined) {
      data = new Uint8Array(rest.length + incoming.length)
      data.set(rest)
      data.set(incoming, rest.length)
      rest = undefined
    }
    let at = 0
    while (at < data.length) {
      let length = 0
      let scale = 1
      let end = at
      let complete = false
      while (end < data.length && end - at < MAX_LENGTH_BYTES) {
        const byte = data[end++] as number
        length += (byte & 0x7f) * scale
        if (byte < 0x80) {
          complete = true
          break
        }
        scale *= 128
      }
      if (!complete) {
        if (end - at >= MAX_LENGTH_BYTES) throw new FrameError('frame length prefix too long')
        break
      }
      if (length > maxBytes) throw new FrameError(`frame of ${length} bytes exceeds ${maxBytes}`)
      if (data.length - end < length) break
      onMessage(data.subarray(end, end + length))
      at = end + length
    }
    if (at < data.length) rest = data.slice(at)
  }
  if (rest !== undefined) throw new FrameError('stream ended inside a frame')
}

/** Where frames are queued for a stream, in order; end() closes its writing side once they are written. */
export interface FrameQueue {
  push: (frame: Uint8Array) => void
  end: () => void
}

/** Writes frames pushed into the returned queue until it is ended. */
export function frameWriter (stream: Stream): { queue: FrameQueue, done: Promise<void> } {
  const out = pushable<Uint8Array>()
  const done = stream.sink(out)
  const queue: FrameQueue = {
    push: frame => { out.push(withLength(frame)) },
    end: () => { out.end() }
  }
  return { queue, done }
}

/** The frame with its varint length in front, in one buffer: one muxer frame, one encrypted write. */
export function withLength (frame: Uint8Array): Uint8Array {
  let prefix = 1
  for (let rest = frame.length; rest >= 0x80; rest = Math.floor(rest / 128)) prefix++
  const out = new Uint8Array(prefix + frame.length)
  let at = 0
  let rest = frame.length
  while (rest >= 0x80) {
    out[at++] = (rest & 0x7f) | 0x80
    rest = Math.floor(rest / 128)
  }
  out[at++] = rest
  out.set(frame, at)
  return out
}

/** Sends one frame, then closes the writing side. */
export async function writeFrame (stream: Stream, bytes: Uint8Array): Promise<void> {
  await stream.sink([withLength(bytes)])
}

/** Reads the first frame of a stream (a query), leaving the stream open for the answer. */
export async function readFirstFrame (stream: Stream, maxBytes: number): Promise<Uint8Array> {
  for await (const frame of lp.decode(stream.source, { maxDataLength: maxBytes })) return frame.subarray()
  throw new Error('stream ended before its first frame')
}
