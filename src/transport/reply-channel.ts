// Replies travel from a node to the requester on REPLY_PROTOCOL, never through the gossip mesh,
// over whichever connection to the requester exists (direct, or relayed through a bootstrap;
// the one the requester opened included). A node keeps one long-lived stream per *connection*
// and writes every reply to it as a frame (~0.2 ms, against ~20 ms for a new connection); the
// requester answers each frame with an acknowledgement.
//
// Why per connection and acknowledged: streams used to be cached by the requester's peer id,
// and a requester agent that restarted (idle-out, kill, key rotation) has the same peer id but
// new connections. The first reply after the restart went into the old, dead stream, the write
// "succeeded", and every node's reply to the next command was lost while the node believed it
// delivered. Now a reply counts as delivered only when acknowledged; otherwise the node tries
// again over whatever connection exists (or a new one to the requester's advertised, dialable
// addresses) until the request's time-to-live has passed.
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { MeshNode } from './mesh-node.js'
import { REPLY_PROTOCOL } from './topics.js'
import { frameWriter, readFrames, type FrameQueue } from './framing.js'
import { bestConnection, connectionTo, parseAddrs, pathOf, streamOn, type Path } from './connections.js'
import { MAX_REPLY_BYTES } from '../wire/limits.js'
import { decodeReply, type Reply } from '../wire/reply.js'
import type { Logger } from '../log.js'

/** How long a written reply waits for its acknowledgement before it is sent again. */
const ACK_WAIT_MS = 5000
/** How long one attempt may spend finding or opening a connection. */
const CONNECT_WAIT_MS = 5000
const MAX_RETRY_PAUSE_MS = 5000
const MAX_ACK_BYTES = 1024
/** While its peer stops, a reply that cannot be delivered is given up after this long. */
const STOPPING_DELIVERY_MS = 10_000

export type Delivery =
  | { delivered: true, path: Path, attempts: number }
  /** `waiting: false`: the requester answered that no one waits for this reply any more */
  | { delivered: false, waiting: boolean, reason: string, attempts: number }

export interface ReplyTarget {
  peer: PeerId
  /** the requester's advertised addresses (relayed ones only, unless it is reachable) */
  addrs: readonly string[]
  /** false: only over a connection that already exists (a refusal to a caller nobody authorized) */
  dial?: boolean
}

type AckOutcome = 'known' | 'unknown' | 'lost'

/** One stream on one connection: frames out, acknowledgements in. */
class Channel {
  private readonly queue: FrameQueue
  private readonly waiting = new Map<string, (outcome: AckOutcome) => void>()
  closed = false

  constructor (readonly connection: Connection, private readonly stream: Stream, log: Logger) {
    const { queue, done } = frameWriter(stream)
    this.queue = queue
    const close = (err?: unknown): void => {
      if (err !== undefined) log.debug({ peer: connection.remotePeer.toString(), err: String(err) }, 'reply stream closed')
      this.close()
    }
    done.then(() => close(), close)
    readFrames(stream, MAX_ACK_BYTES, frame => {
      const ack = parseAck(frame)
      if (ack === undefined) return
      this.waiting.get(ack.id)?.(ack.known ? 'known' : 'unknown')
    }).then(() => close(), close)
  }

  async write (id: string, frame: Uint8Array, waitMs: number): Promise<AckOutcome> {
    if (this.closed) return 'lost'
    return await new Promise<AckOutcome>(resolve => {
      const timer = setTimeout(() => settle('lost'), waitMs)
      const settle = (outcome: AckOutcome): void => {
        clearTimeout(timer)
        if (this.waiting.get(id) === settle) this.waiting.delete(id)
        resolve(outcome)
      }
      this.waiting.set(id, settle)
      this.queue.push(frame)
    })
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    this.queue.end()
    for (const settle of this.waiting.values()) settle('lost')
    this.waiting.clear()
    this.stream.abort(new Error('reply channel closed'))
  }
}

export class ReplySender {
  private readonly channels = new Map<string, Promise<Channel>>()
  private stopped = false
  private stoppingSince: number | undefined

  constructor (private readonly node: MeshNode, private readonly log: Logger) {
    node.addEventListener('connection:close', event => {
      const pending = this.channels.get(event.detail.id)
      this.channels.delete(event.detail.id)
      pending?.then(channel => channel.close(), () => {})
    })
  }

  /**
   * Delivers one reply frame, trying again (other connections first, then the same ones, with a
   * growing pause) until it is acknowledged or `deadline` passes. `onSetback` is called after
   * the first attempt that failed, so the caller can say so by another path.
   */
  async send (target: ReplyTarget, id: string, frame: Uint8Array, requestDeadline: number, onSetback?: () => void): Promise<Delivery> {
    let attempts = 0
    let lastError = 'no attempt made'
    let setback = false
    const failed = new Set<string>()
    const started = Date.now()
    while (!this.stopped) {
      // A daemon on its way down (a restart) still delivers what it finishes, but does not wait
      // out a request's TTL for a requester it cannot reach: the notice has told it already.
      const deadline = this.stoppingSince === undefined ? requestDeadline : Math.min(requestDeadline, Math.max(this.stoppingSince, started) + STOPPING_DELIVERY_MS)
      const remaining = deadline - Date.now()
      if (remaining <= 0) break
      attempts += 1
      let connection: Connection | undefined
      try {
        // Made only when a connection or a stream must be opened: the usual reply goes out on a
        // channel that exists, and a timeout signal costs a timer that fires (an abort event and
        // a DOMException) seconds after the reply was acknowledged.
        let signal: AbortSignal | undefined
        const connectLimit = (): AbortSignal => (signal ??= AbortSignal.timeout(Math.min(CONNECT_WAIT_MS, remaining)))
        connection = bestConnection(this.node, target.peer, failed) ?? (target.dial === false ? undefined : await this.connect(target, failed, connectLimit()))
        if (connection === undefined) return { delivered: false, waiting: false, reason: 'no connection to the requester, and this reply may not open one', attempts }
        const channel = await this.channelFor(connection, connectLimit)
        const outcome = await channel.write(id, frame, Math.min(ACK_WAIT_MS, remaining))
        if (outcome === 'known') return { delivered: true, path: pathOf(connection), attempts }
        if (outcome === 'unknown') {
          // This connection's peer does not wait for it: a requester that restarted, or another
          // process with the same peer id. Another connection may be the one that asked.
          failed.add(connection.id)
          if (bestConnection(this.node, target.peer, failed) === undefined) return { delivered: false, waiting: false, reason: 'the requester no longer waits for this reply', attempts }
          continue
        }
        lastError = 'not acknowledged'
        channel.close()
        failed.add(connection.id)
      } catch (err) {
        lastError = (err as Error).message
        if (connection !== undefined) failed.add(connection.id)
      }
      if (!setback) {
        setback = true
        onSetback?.()
      }
      // Every connection failed once: they may work again (a busy requester), so try them all anew.
      if (bestConnection(this.node, target.peer, failed) === undefined) failed.clear()
      await new Promise(resolve => setTimeout(resolve, Math.min(MAX_RETRY_PAUSE_MS, 250 * 2 ** Math.min(attempts, 5), Math.max(0, requestDeadline - Date.now()))))
    }
    return { delivered: false, waiting: true, reason: lastError, attempts }
  }

  /** The peer is stopping: replies still being sent get STOPPING_DELIVERY_MS more, not their whole TTL. */
  stopping (): void {
    this.stoppingSince ??= Date.now()
  }

  async stop (): Promise<void> {
    this.stopped = true
    for (const pending of this.channels.values()) pending.then(channel => channel.close(), () => {})
    this.channels.clear()
  }

  /** A connection not among the failed ones: an open one, else a new one to the advertised addresses. */
  private async connect (target: ReplyTarget, failed: Set<string>, signal: AbortSignal): Promise<Connection> {
    if (failed.size === 0) return await connectionTo(this.node, target.peer, target.addrs, signal)
    const addrs = parseAddrs(target.peer, target.addrs)
    if (addrs.length === 0) throw new Error('no other connection to the requester, and it advertises no address')
    // A fresh connection beside the one that failed (`force`: libp2p would hand back the old one).
    return await this.node.dial(addrs, { signal, force: true })
  }

  private async channelFor (connection: Connection, connectLimit: () => AbortSignal): Promise<Channel> {
    const existing = this.channels.get(connection.id)
    if (existing !== undefined) {
      const channel = await existing.catch(() => undefined)
      if (channel !== undefined && !channel.closed) return channel
      if (this.channels.get(connection.id) === existing) this.channels.delete(connection.id)
    }
    const opening = streamOn(connection, REPLY_PROTOCOL, connectLimit()).then(stream => new Channel(connection, stream, this.log))
    this.channels.set(connection.id, opening)
    opening.catch(() => { if (this.channels.get(connection.id) === opening) this.channels.delete(connection.id) })
    return await opening
  }
}

/**
 * Requester side: accepts reply streams from any number of nodes, over direct and relayed
 * connections. `onFrame` gets each frame with the sending peer, the path it came by and the
 * decoded reply (undefined when it does not decode), and returns true when someone waits for it;
 * every decodable reply is acknowledged, saying whether anyone waited.
 */
export async function acceptReplies (node: MeshNode, onFrame: (frame: Uint8Array, from: PeerId, path: Path, reply: Reply | undefined) => boolean | void, log: Logger): Promise<void> {
  await node.handle(REPLY_PROTOCOL, ({ stream, connection }) => {
    const { queue, done } = frameWriter(stream)
    done.catch(() => {})
    const path = pathOf(connection)
    readFrames(stream, MAX_REPLY_BYTES, frame => {
      let reply: Reply | undefined
      try { reply = decodeReply(frame) } catch { reply = undefined }
      const known = onFrame(frame, connection.remotePeer, path, reply) === true
      if (reply !== undefined) queue.push(Buffer.from(JSON.stringify({ ack: reply.id, known })))
    }).catch(err => {
      log.debug({ peer: connection.remotePeer.toString(), err: String(err) }, 'reply stream ended with an error')
    }).finally(() => queue.end())
  }, { maxInboundStreams: 16, runOnLimitedConnection: true })
}

function parseAck (frame: Uint8Array): { id: string, known: boolean } | undefined {
  try {
    const value = JSON.parse(Buffer.from(frame).toString('utf8')) as { ack?: unknown, known?: unknown }
    return typeof value.ack === 'string' ? { id: value.ack, known: value.known === true } : undefined
  } catch {
    return undefined
  }
}
