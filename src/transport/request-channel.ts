// Requests the requester sends straight to a node (DIRECT_REQUEST_PROTOCOL) ride one long-lived
// stream per connection, a frame each, as replies do the other way: under the PE rule every
// request to a node is such a send, over a relayed connection, and a new stream per request cost
// a protocol negotiation through the relay each time (a node's CPU per request went from ~4 to
// ~20 ms on the namespace fleet). The node reads any number of frames from one stream.
import type { Connection } from '@libp2p/interface'
import type { MeshNode } from './mesh-node.js'
import { DIRECT_REQUEST_PROTOCOL } from './topics.js'
import { frameWriter, type FrameQueue } from './framing.js'
import { streamOn } from './connections.js'

export class RequestChannels {
  private readonly open = new Map<string, Promise<{ queue: FrameQueue, closed: () => boolean }>>()

  constructor (node: MeshNode) {
    node.addEventListener('connection:close', event => {
      const pending = this.open.get(event.detail.id)
      this.open.delete(event.detail.id)
      pending?.then(channel => channel.queue.end(), () => {})
    })
  }

  /** Queues the frame on the connection's request stream (opened on first use). */
  async send (connection: Connection, frame: Uint8Array, signal: AbortSignal): Promise<void> {
    const existing = this.open.get(connection.id)
    const current = existing !== undefined ? await existing.catch(() => undefined) : undefined
    if (current !== undefined && !current.closed()) {
      current.queue.push(frame)
      return
    }
    if (existing !== undefined && this.open.get(connection.id) === existing) this.open.delete(connection.id)
    const opening = streamOn(connection, DIRECT_REQUEST_PROTOCOL, signal).then(stream => {
      const { queue, done } = frameWriter(stream)
      let ended = false
      const end = (): void => {
        ended = true
        if (this.open.get(connection.id) === opening) this.open.delete(connection.id)
      }
      done.then(end, end)
      return { queue, closed: () => ended || stream.status !== 'open' }
    })
    this.open.set(connection.id, opening)
    opening.catch(() => { if (this.open.get(connection.id) === opening) this.open.delete(connection.id) })
    ;(await opening).queue.push(frame)
  }
}
