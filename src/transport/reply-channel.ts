// Replies travel directly from a node to the requester on REPLY_PROTOCOL, never through the
// gossip mesh. A node keeps one long-lived stream per requester peer and writes every reply to
// it as a frame: a reply that rides an open stream costs ~0.2 ms, one that opens a connection
// costs ~20 ms (docs/design.md).
import type { PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Pushable } from 'it-pushable'
import type { MeshNode } from './mesh-node.js'
import { REPLY_PROTOCOL } from './topics.js'
import { frameWriter, readFrames } from './framing.js'
import { MAX_REPLY_BYTES } from '../wire/limits.js'
import type { Logger } from '../log.js'

const MAX_CACHED_STREAMS = 256
const DIAL_ATTEMPTS = 3

interface OpenReplyStream {
  stream: Stream
  queue: Pushable<Uint8Array>
  /** settles once every frame pushed has been written and the stream closed */
  done: Promise<void>
}

/** How long stop() waits for the replies already queued to be written before the peer goes down. */
const FLUSH_WAIT_MS = 5000

export class ReplySender {
  private readonly open = new Map<string, Promise<OpenReplyStream>>()

  constructor (private readonly node: MeshNode, private readonly log: Logger) {}

  async send (peer: PeerId, addrs: Multiaddr[], frame: Uint8Array): Promise<void> {
    const key = peer.toString()
    let pending = this.open.get(key)
    if (pending === undefined) {
      pending = this.openStream(peer, addrs)
      this.open.set(key, pending)
      this.evictOldest()
    }
    try {
      const { queue } = await pending
      queue.push(frame)
    } catch (err) {
      if (this.open.get(key) === pending) this.open.delete(key)
      throw err
    }
  }

  /**
   * Ends every reply stream and waits (a bounded time) until the replies queued on them are
   * written: a daemon that stops right after answering (a restart) must not drop the answer.
   */
  async stop (): Promise<void> {
    const flushed = [...this.open.values()].map(async pending => {
      const { queue, done } = await pending
      queue.end()
      await done
    })
    this.open.clear()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.allSettled(flushed),
      new Promise(resolve => { timer = setTimeout(resolve, FLUSH_WAIT_MS) })
    ])
    clearTimeout(timer)
  }

  private async openStream (peer: PeerId, addrs: Multiaddr[]): Promise<OpenReplyStream> {
    if (addrs.length > 0) await this.node.peerStore.merge(peer, { multiaddrs: addrs })
    let lastError: unknown
    for (let attempt = 0; attempt < DIAL_ATTEMPTS; attempt++) {
      try {
        const stream = await this.node.dialProtocol(peer, REPLY_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
        const { queue, done } = frameWriter(stream)
        const key = peer.toString()
        const forget = (): void => {
          // Only forget the entry that belongs to this stream, not a newer one.
          void this.open.get(key)?.then(current => { if (current.stream === stream) this.open.delete(key) }, () => {})
        }
        done.then(forget, err => {
          this.log.debug({ peer: key, err: String(err) }, 'reply stream closed')
          forget()
        })
        return { stream, queue, done: done.catch(() => {}) }
      } catch (err) {
        lastError = err
        // Refused dials (busy requester) succeed on a retry; back off a little.
        await new Promise(resolve => setTimeout(resolve, 100 * 3 ** attempt))
      }
    }
    throw lastError
  }

  private evictOldest (): void {
    if (this.open.size <= MAX_CACHED_STREAMS) return
    const oldest = this.open.keys().next().value
    if (oldest === undefined) return
    const pending = this.open.get(oldest)
    this.open.delete(oldest)
    pending?.then(({ queue }) => queue.end(), () => {})
  }
}

/** Requester side: accept reply streams from any number of nodes; frames go to onFrame with the sending peer. */
export async function acceptReplies (node: MeshNode, onFrame: (frame: Uint8Array, from: PeerId) => void, log: Logger): Promise<void> {
  await node.handle(REPLY_PROTOCOL, ({ stream, connection }) => {
    readFrames(stream, MAX_REPLY_BYTES, frame => onFrame(frame, connection.remotePeer)).catch(err => {
      log.debug({ peer: connection.remotePeer.toString(), err: String(err) }, 'reply stream ended with an error')
    })
  }, { maxInboundStreams: 16 })
}
