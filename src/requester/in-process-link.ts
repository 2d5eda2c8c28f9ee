// The cold path: a RequesterPeer inside the CLI process (`requester_idle: 0`). Slower (libp2p
// start-up and fresh connections on every call) but with no background process.
import type { LoadedConfig } from '../config/load.js'
import { createLogger } from '../log.js'
import type { Reply } from '../wire/reply.js'
import type { NodeRef } from '../discovery/directory.js'
import type { Filter } from '../discovery/filter/types.js'
import type { MeshView, RequesterLink, SendSpec } from './link.js'
import { RequesterPeer } from './requester-peer.js'
import type { PeerConnection, ReplyDelivery } from './socket-protocol.js'

export class InProcessLink implements RequesterLink {
  private readonly cancels = new Map<string, AbortController>()
  private constructor (private readonly peer: RequesterPeer) {}

  static async start (config: LoadedConfig): Promise<InProcessLink> {
    const log = createLogger({ name: 'requester', level: config.log_level === 'info' ? 'warn' : config.log_level, file: config.log_file })
    return new InProcessLink(await RequesterPeer.start(config, log))
  }

  async hello (): Promise<MeshView> {
    const synced = await this.peer.ready(5000)
    const duplicate = this.peer.duplicateSeenAt()
    return { ...this.peer.whoami(), size: this.peer.directorySize(), synced, problem: duplicate === undefined ? undefined : `another process uses this requester's peer id (a bootstrap also sees it connected from ${duplicate}): give it its own \`key\`` }
  }

  async select (filter: Filter, agent?: string): Promise<NodeRef[]> {
    return this.peer.select(filter, agent)
  }

  async send (spec: SendSpec, onReply: (reply: Reply, peer: string, delivery?: ReplyDelivery) => void): Promise<void> {
    const controller = new AbortController()
    this.cancels.set(spec.id, controller)
    try {
      await this.peer.send(spec, event => onReply(event.reply, event.peer, event.delivery), controller.signal)
    } finally {
      this.cancels.delete(spec.id)
    }
  }

  async connections (): Promise<PeerConnection[]> {
    return this.peer.connections()
  }

  async purge (bytes: Uint8Array): Promise<{ error?: string, recipients: number }> {
    return await this.peer.purge(bytes)
  }

  cancel (id: string): void {
    this.cancels.get(id)?.abort()
  }

  async close (): Promise<void> {
    await this.peer.stop()
  }
}
