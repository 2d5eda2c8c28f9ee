// The requester agent: a long-lived local process holding a warm RequesterPeer for one client
// config, so each CLI call skips libp2p start-up, directory learning and connection set-up
// (the cost that dominates a cold requester). Started on demand by the CLI, it exits after
// `requester_idle` seconds without a call, or when its config file changes.
import { createServer } from 'node:net'
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs'
import { dirname } from 'node:path'
import { ConfigError, type LoadedConfig } from '../config/load.js'
import type { Logger } from '../log.js'
import { RequesterPeer } from './requester-peer.js'
import { validateFilter } from '../discovery/filter/schema.js'
import { configStamp, requesterSocketPath, socketHygiene } from './agent-paths.js'
import { connect } from 'node:net'
import { lineReader, type AgentMessage, type ClientMessage } from './socket-protocol.js'
import { lineWriter } from './line-writer.js'

const READY_WAIT_MS = 5000

async function listening (path: string): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = connect(path)
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

export async function runRequesterAgent (config: LoadedConfig, log: Logger): Promise<void> {
  const socketPath = requesterSocketPath(config)
  const stamp = configStamp(config)
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 })
  const unsafe = socketHygiene(socketPath)
  if (unsafe !== undefined) throw new ConfigError(unsafe)
  // Another agent answering there (another config sharing requester_socket) is left alone: only
  // a stale socket, one nobody listens on, is removed.
  if (await listening(socketPath)) throw new ConfigError(`another requester agent listens on ${socketPath}: give each config its own requester_socket`)
  try { unlinkSync(socketPath) } catch { /* not there */ }

  const peer = await RequesterPeer.start(config, log)
  const synced = peer.ready(READY_WAIT_MS)
  const idleMs = config.requester_idle * 1000
  let idleTimer: NodeJS.Timeout | undefined
  let active = 0
  const shutdown = async (): Promise<void> => {
    server.close()
    try { unlinkSync(socketPath) } catch { /* gone */ }
    await peer.stop().catch(() => {})
    process.exit(0)
  }
  const touch = (): void => {
    clearTimeout(idleTimer)
    if (active === 0) idleTimer = setTimeout(() => { void shutdown() }, idleMs)
  }

  const server = createServer(socket => {
    active += 1
    touch()
    const cancels = new Map<string, AbortController>()
    const writer = lineWriter(socket)
    const send = (message: AgentMessage): void => { writer.write(JSON.stringify(message) + '\n', message.op !== 'reply') }
    socket.on('data', lineReader(value => { void handle(value as ClientMessage) }))
    socket.on('error', () => {})
    socket.on('close', () => {
      active -= 1
      for (const controller of cancels.values()) controller.abort()
      touch()
    })

    async function handle (message: ClientMessage): Promise<void> {
      switch (message.op) {
        case 'hello': {
          if ((message.file !== undefined && message.file !== config.file) || (message.collective !== undefined && message.collective !== config.collective)) {
            send({ op: 'other', file: config.file, collective: config.collective })
            return
          }
          if (message.stamp !== stamp) {
            send({ op: 'restart' })
            writer.end()
            void shutdown()
            return
          }
          const isSynced = await synced
          const duplicate = peer.duplicateSeenAt()
          const problem = duplicate === undefined ? undefined : `another process uses this requester agent's peer id ${peer.whoami().peer} (a bootstrap also sees it connected from ${duplicate}): give each client config its own \`key\`, or remove \`key\` to use the per-user default`
          send({ op: 'hello', ...peer.whoami(), size: peer.directorySize(), synced: isSynced, problem, pid: process.pid })
          return
        }
        case 'select': {
          // The filter comes from the CLI of a local user; it is checked as one from the network.
          const filter = validateFilter(message.filter)
          send({ op: 'selected', id: message.id, nodes: filter.ok ? peer.select(filter.filter, message.agent) : [] })
          return
        }
        case 'send': {
          const controller = new AbortController()
          cancels.set(message.id, controller)
          try {
            await peer.send({
              id: message.id,
              topic: message.topic,
              bytes: Buffer.from(message.request, 'base64'),
              expect: message.expect,
              timeoutMs: message.timeout_ms,
              direct: message.direct === true
            }, event => send({ op: 'reply', id: message.id, peer: event.peer, reply: event.reply, delivery: event.delivery }), controller.signal)
          } catch (err) {
            send({ op: 'error', message: (err as Error).message })
          } finally {
            cancels.delete(message.id)
          }
          send({ op: 'done', id: message.id })
          return
        }
        case 'cancel':
          cancels.get(message.id)?.abort()
          return
        case 'connections':
          send({ op: 'connections', id: message.id, connections: peer.connections() })
          return
        case 'purge': {
          let outcome: { error?: string, recipients: number }
          try { outcome = await peer.purge(Buffer.from(message.purge, 'base64')) } catch (err) { outcome = { error: (err as Error).message, recipients: 0 } }
          send({ op: 'purged', id: message.id, ...outcome })
          return
        }
        case 'shutdown':
          void shutdown()
      }
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(socketPath, () => resolve())
  })
  chmodSync(socketPath, 0o600)
  touch()
  process.on('SIGTERM', () => { void shutdown() })
  process.on('SIGINT', () => { void shutdown() })
  log.info({ socket: socketPath, peer: peer.whoami().peer }, 'requester agent ready')
}

