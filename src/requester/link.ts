// How the CLI reaches the mesh: through the local requester agent (started on demand, warm),
// or through a RequesterPeer in its own process when `requester_idle` is 0.
import { connect, type Socket } from 'node:net'
import { spawn } from 'node:child_process'
import { openSync, closeSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { LoadedConfig } from '../config/load.js'
import { ConfigError } from '../config/errors.js'
import type { NodeRef } from '../discovery/directory.js'
import type { Outgoing } from './requester-peer.js'
import type { Filter } from '../discovery/filter/types.js'
import { randomUUID } from 'node:crypto'
import type { Reply } from '../wire/reply.js'
import { agentPeerCheck, configStamp, requesterSocketPath, socketHygiene } from './agent-paths.js'
import { lineReader, type AgentMessage, type ClientMessage, type PeerConnection, type ReplyDelivery } from './socket-protocol.js'
import { TROUPE_BIN } from '../package-root.js'

export interface MeshView {
  peer: string
  addrs: string[]
  /** how many nodes the directory holds */
  size: number
  /** false when no peer could be reached to learn the directory from */
  synced: boolean
  /** what the operator should know about the mesh as this requester sees it (lab mode, refusals, identity conflicts) */
  warnings: string[]
  /** why this requester cannot work as it is (another process has its peer id) */
  problem?: string
}

/** A signed request and whom it is for (the requester peer's own description of a send). */
export type SendSpec = Outgoing

export interface RequesterLink {
  hello (): Promise<MeshView>
  /** The directory's nodes that match the filter and, when given, serve the agent. */
  select (filter: Filter, agent?: string): Promise<NodeRef[]>
  /** Resolves when every expected peer answered, the timeout passed, or cancel() was called. */
  send (spec: SendSpec, onReply: (reply: Reply, peer: string, delivery?: ReplyDelivery) => void): Promise<void>
  cancel (id: string): void
  /** Applies and publishes a signed directory purge: why it was refused, or how many peers it went to. */
  purge (bytes: Uint8Array): Promise<{ error?: string, recipients: number }>
  /** The requester's open connections (troupe doctor). */
  connections (): Promise<PeerConnection[]>
  close (): Promise<void>
}

/** The requester agent went away (or never came): a connection error, exit 2. */
export class LinkError extends ConfigError {}

const AGENT_START_WAIT_MS = 15_000

export async function openLink (config: LoadedConfig): Promise<RequesterLink> {
  if (config.requester_idle === 0) {
    const { InProcessLink } = await import('./in-process-link.js')
    return await InProcessLink.start(config)
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    const link = await SocketLink.connectOrSpawn(config)
    const view = await link.helloOrRestart()
    if (view !== 'restart') return link
    await link.close()
    await waitForSocketGone(requesterSocketPath(config))
  }
  throw new ConfigError('the requester agent keeps restarting; run with requester_idle: 0 to bypass it and see the error')
}

class SocketLink implements RequesterLink {
  private readonly pending = new Map<string, { onReply: (reply: Reply, peer: string, delivery?: ReplyDelivery) => void, done: () => void, fail: (err: Error) => void }>()
  private helloWaiter: ((message: AgentMessage) => void) | undefined
  private readonly selections = new Map<string, { resolve: (nodes: NodeRef[]) => void, reject: (err: Error) => void }>()
  private readonly purges = new Map<string, (outcome: { error?: string, recipients: number }) => void>()
  private readonly connectionWaiters = new Map<string, { resolve: (list: PeerConnection[]) => void, reject: (err: Error) => void }>()
  private view: MeshView | undefined
  private closedError: Error | undefined

  private constructor (private readonly socket: Socket, private readonly config: LoadedConfig, private readonly path: string) {
    socket.on('data', lineReader(value => this.dispatch(value as AgentMessage)))
    socket.on('close', () => {
      // Whatever was under way cannot be answered: a connection error (exit 2), never an empty
      // selection that would read as "no matching nodes".
      const error = this.closedError ?? new LinkError(`the requester agent closed the connection (see ${agentLogPath(path)})`)
      this.closedError = error
      for (const entry of this.pending.values()) entry.fail(error)
      this.pending.clear()
      for (const waiter of this.selections.values()) waiter.reject(error)
      this.selections.clear()
      for (const resolve of this.purges.values()) resolve({ error: error.message, recipients: 0 })
      this.purges.clear()
      for (const waiter of this.connectionWaiters.values()) waiter.reject(error)
      this.connectionWaiters.clear()
    })
    socket.on('error', () => {})
  }

  static async connectOrSpawn (config: LoadedConfig): Promise<SocketLink> {
    const path = requesterSocketPath(config)
    const unsafe = socketHygiene(path)
    if (unsafe !== undefined) throw new LinkError(unsafe)
    const first = await tryConnect(path)
    if (first !== null) return new SocketLink(first, config, path)
    const child = spawnAgent(config, path)
    // The agent's start-up error (a bad multiaddr, a port in use) reaches the operator at once:
    // an agent that exits before it listens says why in the last line of its log.
    let exited = false
    child.once('exit', () => { exited = true })
    const deadline = Date.now() + AGENT_START_WAIT_MS
    while (Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 30))
      const socket = await tryConnect(path)
      if (socket !== null) {
        const again = socketHygiene(path)
        if (again !== undefined) { socket.destroy(); throw new LinkError(again) }
        return new SocketLink(socket, config, path)
      }
      if (exited) throw new ConfigError(`the requester agent could not start: ${lastLogLine(agentLogPath(path))} (log: ${agentLogPath(path)})`)
    }
    throw new LinkError(`the requester agent did not start within ${AGENT_START_WAIT_MS / 1000} s; see ${agentLogPath(path)}`)
  }

  async helloOrRestart (): Promise<MeshView | 'restart'> {
    const reply = await new Promise<AgentMessage>((resolve, reject) => {
      this.helloWaiter = resolve
      this.socket.once('close', () => reject(this.closedError ?? new LinkError('the requester agent went away')))
      this.write({ op: 'hello', stamp: configStamp(this.config), file: this.config.file, collective: this.config.collective })
    })
    if (reply.op === 'restart') return 'restart'
    if (reply.op === 'other') {
      throw new LinkError(`the requester socket ${this.path} is in use by the agent of another config (${reply.file}, collective ${reply.collective}): give each config its own requester_socket`)
    }
    if (reply.op !== 'hello') throw new LinkError('unexpected answer from the requester agent')
    const notOurs = agentPeerCheck(this.path, reply.pid)
    if (notOurs !== undefined) throw new LinkError(`refusing the requester socket: ${notOurs}`)
    this.view = { peer: reply.peer, addrs: reply.addrs, size: reply.size, synced: reply.synced, warnings: reply.warnings ?? [], problem: reply.problem }
    return this.view
  }

  async hello (): Promise<MeshView> {
    if (this.view !== undefined) return this.view
    const view = await this.helloOrRestart()
    if (view === 'restart') throw new ConfigError('requester agent restarted')
    return view
  }

  async select (filter: Filter, agent?: string): Promise<NodeRef[]> {
    if (this.closedError !== undefined) throw this.closedError
    const id = randomUUID()
    return await new Promise((resolve, reject) => {
      this.selections.set(id, { resolve, reject })
      this.write({ op: 'select', id, filter, agent })
    })
  }

  async purge (bytes: Uint8Array): Promise<{ error?: string, recipients: number }> {
    if (this.closedError !== undefined) throw this.closedError
    const id = randomUUID()
    return await new Promise(resolve => {
      this.purges.set(id, resolve)
      this.write({ op: 'purge', id, purge: Buffer.from(bytes).toString('base64') })
    })
  }

  async connections (): Promise<PeerConnection[]> {
    if (this.closedError !== undefined) throw this.closedError
    const id = randomUUID()
    return await new Promise((resolve, reject) => {
      this.connectionWaiters.set(id, { resolve, reject })
      this.write({ op: 'connections', id })
    })
  }

  async send (spec: SendSpec, onReply: (reply: Reply, peer: string, delivery?: ReplyDelivery) => void): Promise<void> {
    if (this.closedError !== undefined) throw this.closedError
    await new Promise<void>((resolve, reject) => {
      this.pending.set(spec.id, { onReply, done: resolve, fail: reject })
      this.write({ op: 'send', id: spec.id, topic: spec.topic, request: Buffer.from(spec.bytes).toString('base64'), expect: spec.expect, timeout_ms: spec.timeoutMs, direct: spec.direct })
    })
  }

  cancel (id: string): void {
    this.write({ op: 'cancel', id })
    const entry = this.pending.get(id)
    this.pending.delete(id)
    entry?.done()
  }

  async close (): Promise<void> {
    this.socket.end()
    this.socket.destroy()
  }

  private write (message: ClientMessage): void {
    if (!this.socket.destroyed) this.socket.write(JSON.stringify(message) + '\n')
  }

  private dispatch (message: AgentMessage): void {
    switch (message.op) {
      case 'hello':
      case 'restart':
      case 'other':
        this.helloWaiter?.(message)
        this.helloWaiter = undefined
        return
      case 'selected':
        this.selections.get(message.id)?.resolve(message.nodes)
        this.selections.delete(message.id)
        return
      case 'purged':
        this.purges.get(message.id)?.({ error: message.error, recipients: message.recipients ?? 0 })
        this.purges.delete(message.id)
        return
      case 'connections':
        this.connectionWaiters.get(message.id)?.resolve(message.connections)
        this.connectionWaiters.delete(message.id)
        return
      case 'reply':
        this.pending.get(message.id)?.onReply(message.reply, message.peer, message.delivery)
        return
      case 'done': {
        const entry = this.pending.get(message.id)
        this.pending.delete(message.id)
        entry?.done()
        return
      }
      case 'error':
        this.closedError = new LinkError(`requester agent: ${message.message}`)
    }
  }
}

async function tryConnect (path: string): Promise<Socket | null> {
  return await new Promise(resolve => {
    const socket = connect(path)
    socket.once('connect', () => resolve(socket))
    socket.once('error', () => resolve(null))
  })
}

async function waitForSocketGone (path: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const socket = await tryConnect(path)
    if (socket === null) return
    socket.destroy()
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

function agentLogPath (socketPath: string): string {
  return socketPath.replace(/\.sock$/, '.log')
}

function spawnAgent (config: LoadedConfig, socketPath: string): ReturnType<typeof spawn> {
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 })
  const log = openSync(agentLogPath(socketPath), 'a', 0o600)
  const collective = config.collectiveOverride !== undefined ? ['--collective', config.collectiveOverride] : []
  const child = spawn(process.execPath, [TROUPE_BIN, 'requester-agent', '--config', config.file, ...collective], {
    detached: true,
    stdio: ['ignore', log, log],
    cwd: '/'
  })
  child.unref()
  closeSync(log)
  return child
}

/** The agent's last words: `troupe: ...` is what a failed start prints. */
function lastLogLine (path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trim().split('\n')
    const said = [...lines].reverse().find(line => line.startsWith('troupe: '))
    return (said ?? lines[lines.length - 1] ?? 'no reason in its log').replace(/^troupe: /, '')
  } catch {
    return 'no log'
  }
}

/** Asks the requester agent for this config to exit (used by `troupe demo` and tests). */
export async function stopRequesterAgent (config: LoadedConfig): Promise<void> {
  const path = requesterSocketPath(config)
  if (socketHygiene(path) !== undefined) return
  const socket = await tryConnect(path)
  if (socket === null) return
  socket.write(JSON.stringify({ op: 'shutdown' } satisfies ClientMessage) + '\n')
  socket.end()
  await waitForSocketGone(path)
}
