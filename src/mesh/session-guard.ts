// Two processes with one peer key are one peer id twice: libp2p takes both connections as the
// same peer's, and replies, streams and gossip land on whichever it picks (two client configs
// sharing a key file both got 0 replies, silently). Every peer tells each bootstrap a random
// session id on SESSION_PROTOCOL when it connects; a bootstrap that holds two live sessions of
// one peer id on different connections tells both, and each says so (the requester agent to
// every CLI call, which fails with the reason; a daemon in its log).
import { randomBytes } from 'node:crypto'
import type { Connection, Stream } from '@libp2p/interface'
import type { MeshNode } from '../transport/mesh-node.js'
import { frameWriter, readFrames, type FrameQueue } from '../transport/framing.js'
import { streamOn } from '../transport/connections.js'
import type { Logger } from '../log.js'

export const SESSION_PROTOCOL = '/troupe/session/1.0.0'
const MAX_FRAME = 1024

interface LiveSession {
  session: string
  connection: Connection
  queue: FrameQueue
}

/** Bootstrap side: the live sessions of each peer id. */
export async function serveSessions (node: MeshNode, log: Logger): Promise<void> {
  const live = new Map<string, LiveSession[]>()
  await node.handle(SESSION_PROTOCOL, ({ stream, connection }) => {
    const peer = connection.remotePeer.toString()
    const { queue, done } = frameWriter(stream)
    done.catch(() => {})
    let entry: LiveSession | undefined
    const forget = (): void => {
      const list = (live.get(peer) ?? []).filter(other => other !== entry)
      if (list.length > 0) live.set(peer, list)
      else live.delete(peer)
      queue.end()
    }
    readFrames(stream, MAX_FRAME, frame => {
      if (entry !== undefined) return
      const session = parseSession(frame)
      if (session === undefined) return
      entry = { session, connection, queue }
      const others = (live.get(peer) ?? []).filter(other => other.connection.status === 'open' && other.connection.id !== connection.id && other.session !== session)
      live.set(peer, [...(live.get(peer) ?? []).filter(other => other.connection.status === 'open'), entry])
      for (const other of others) {
        log.warn({ peer, addrs: [other.connection.remoteAddr.toString(), connection.remoteAddr.toString()] }, 'two processes share one peer id')
        other.queue.push(duplicateFrame(connection.remoteAddr.toString()))
        queue.push(duplicateFrame(other.connection.remoteAddr.toString()))
      }
    }).then(forget, forget)
  }, { maxInboundStreams: 4 })
}

/** This peer's side: announces its session to every bootstrap it meets and hears of duplicates. */
export class SessionGuard {
  readonly session = randomBytes(16).toString('hex')
  private duplicate: string | undefined
  private readonly streams = new Set<Stream>()

  constructor (private readonly node: MeshNode, private readonly log: Logger) {}

  start (): void {
    this.node.addEventListener('peer:identify', event => {
      if (event.detail.protocols.includes(SESSION_PROTOCOL)) void this.announce(event.detail.connection)
    })
  }

  /** Set once a bootstrap saw another live process with this peer id: where it connected from. */
  get duplicateSeenAt (): string | undefined {
    return this.duplicate
  }

  stop (): void {
    for (const stream of this.streams) stream.abort(new Error('stopping'))
  }

  private async announce (connection: Connection): Promise<void> {
    try {
      const stream = await streamOn(connection, SESSION_PROTOCOL, AbortSignal.timeout(10_000))
      this.streams.add(stream)
      const { queue, done } = frameWriter(stream)
      done.catch(() => {})
      queue.push(Buffer.from(JSON.stringify({ session: this.session })))
      await readFrames(stream, MAX_FRAME, frame => {
        const text = Buffer.from(frame).toString('utf8')
        let other: unknown
        try { other = (JSON.parse(text) as { duplicate?: unknown }).duplicate } catch { return }
        if (typeof other !== 'string') return
        this.duplicate = other
        this.log.error({ peer: this.node.peerId.toString(), other }, `another process uses this peer id (peer key): the bootstrap also sees it connected from ${other}; give each its own key`)
      }).finally(() => this.streams.delete(stream))
    } catch (err) {
      this.log.debug({ err: String(err) }, 'session not announced')
    }
  }
}

function parseSession (frame: Uint8Array): string | undefined {
  try {
    const session = (JSON.parse(Buffer.from(frame).toString('utf8')) as { session?: unknown }).session
    return typeof session === 'string' && /^[0-9a-f]{32}$/.test(session) ? session : undefined
  } catch {
    return undefined
  }
}

function duplicateFrame (addr: string): Uint8Array {
  return Buffer.from(JSON.stringify({ duplicate: addr }))
}
