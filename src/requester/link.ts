// How the CLI reaches the mesh: through the local requester agent (started on demand, warm),
// or through a RequesterPeer in its own process when `requester_idle` is 0.
import { connect, type Socket } from 'node:net'
import { spawn } from 'node:child_process'
import { openSync, closeSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadedConfig } from '../config/load.js'
import { ConfigError } from '../config/load.js'
import type { NodeRef } from '../discovery/directory.js'
import type { Outgoing } from './requester-peer.js'
import type { Filter } from '../discovery/filter/types.js'
import { randomUUID } from 'node:crypto'
import type { Reply } from '../wire/reply.js'
import { configStamp, requesterSocketPath } from './agent-paths.js'
import { lineReader, type AgentMessage, type ClientMessage } from './socket-protocol.js'
import { SERVICE_NODE_FLAGS } from '../service-flags.js'

export interface MeshView {
  peer: string
  addrs: string[]
  /** how many nodes the directory holds */
  size: number
  /** false when no peer could be reached to learn the directory from */
  synced: boolean
  /** what the operator should know about the mesh as this requester sees it (lab mode, refusals, identity conflicts) */
  warnings: string[]
}

/** A signed request and whom it is for (the requester peer's own description of a send). */
export type SendSpec = Outgoing

export interface RequesterLink {
  hello (): Promise<MeshView>
  /** The directory's nodes that match the filter and, when given, serve the agent. */
  select (filter: Filter, agent?: string): Promise<NodeRef[]>
  /** Resolves when every expected peer answered, the timeout passed, or cancel() was called. */
  send (spec: SendSpec, onReply: (reply: Reply, peer: string) => void): Promise<void>
  cancel (id: string): void
  close (): Promise<void>
}

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
  private readonly pending = new Map<string, { onReply: (reply: Reply, peer: string) => void, done: () => void }>()
  private helloWaiter: ((message: AgentMessage) => void) | undefined
  private readonly selections = new Map<string, (nodes: NodeRef[]) => void>()
  private view: MeshView | undefined
  private closedError: Error | undefined

  private constructor (private readonly socket: Socket, private readonly config: LoadedConfig) {
    socket.on('data', lineReader(value => this.dispatch(value as AgentMessage)))
    socket.on('close', () => {
      this.closedError = new ConfigError('the requester agent closed the connection (see its log next to its socket)')
      for (const entry of this.pending.values()) entry.done()
      this.pending.clear()
      for (const resolve of this.selections.values()) resolve([])
      this.selections.clear()
    })
    socket.on('error', () => {})
  }

  static async connectOrSpawn (config: LoadedConfig): Promise<SocketLink> {
    const path = requesterSocketPath(config)
    const first = await tryConnect(path)
    if (first !== null) return new SocketLink(first, config)
    spawnAgent(config, path)
    const deadline = Date.now() + AGENT_START_WAIT_MS
    while (Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 30))
      const socket = await tryConnect(path)
      if (socket !== null) return new SocketLink(socket, config)
    }
    throw new ConfigError(`the requester agent did not start within ${AGENT_START_WAIT_MS / 1000} s; see ${agentLogPath(path)}`)
  }

  async helloOrRestart (): Promise<MeshView | 'restart'> {
    const reply = await new Promise<AgentMessage>((resolve, reject) => {
      this.helloWaiter = resolve
      this.socket.once('close', () => reject(this.closedError ?? new ConfigError('requester agent went away')))
      this.write({ op: 'hello', stamp: configStamp(this.config) })
    })
    if (reply.op === 'restart') return 'restart'
    if (reply.op !== 'hello') throw new ConfigError('unexpected answer from the requester agent')
    this.view = { peer: reply.peer, addrs: reply.addrs, size: reply.size, synced: reply.synced, warnings: reply.warnings ?? [] }
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
    return await new Promise(resolve => {
      this.selections.set(id, resolve)
      this.write({ op: 'select', id, filter, agent })
    })
  }

  async send (spec: SendSpec, onReply: (reply: Reply, peer: string) => void): Promise<void> {
    if (this.closedError !== undefined) throw this.closedError
    await new Promise<void>(resolve => {
      this.pending.set(spec.id, { onReply, done: resolve })
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
        this.helloWaiter?.(message)
        this.helloWaiter = undefined
        return
      case 'selected':
        this.selections.get(message.id)?.(message.nodes)
        this.selections.delete(message.id)
        return
      case 'reply':
        this.pending.get(message.id)?.onReply(message.reply, message.peer)
        return
      case 'done': {
        const entry = this.pending.get(message.id)
        this.pending.delete(message.id)
        entry?.done()
        return
      }
      case 'error':
        this.closedError = new ConfigError(`requester agent: ${message.message}`)
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

function spawnAgent (config: LoadedConfig, socketPath: string): void {
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 })
  const log = openSync(agentLogPath(socketPath), 'a', 0o600)
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'troupe.js')
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, bin, 'requester-agent', '--config', config.file], {
    detached: true,
    stdio: ['ignore', log, log],
    cwd: '/'
  })
  child.unref()
  closeSync(log)
}

/** Asks the requester agent for this config to exit (used by `troupe demo` and tests). */
export async function stopRequesterAgent (config: LoadedConfig): Promise<void> {
  const path = requesterSocketPath(config)
  const socket = await tryConnect(path)
  if (socket === null) return
  socket.write(JSON.stringify({ op: 'shutdown' } satisfies ClientMessage) + '\n')
  socket.end()
  await waitForSocketGone(path)
}
