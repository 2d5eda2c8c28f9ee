// The requester agent's local protocol: newline-delimited JSON over a unix socket (mode 0600 in
// a 0700 directory). The CLI signs requests itself; the agent only publishes them and relays
// replies, so whoever reaches the socket cannot do more than the keys they hold allow.
import type { Reply } from '../wire/reply.js'
import type { NodeRef } from '../discovery/directory.js'

/** One open connection of the requester: to whom, at which address, and whether through a relay. */
export interface PeerConnection {
  peer: string
  addr: string
  relayed: boolean
}
/** How a reply came (see ReplyEvent in requester-peer.ts). */
export type ReplyDelivery = 'direct' | 'relayed' | 'undelivered' | 'refused'

export type ClientMessage =
  /** file and collective: an agent serving another config (a shared requester_socket) says so instead of restarting */
  | { op: 'hello', stamp: string, file?: string, collective?: string }
  /** the nodes of the directory that match a filter (the CLI never downloads the directory) */
  | { op: 'select', id: string, filter: unknown, agent?: string }
  | { op: 'send', id: string, topic: string, request: string, expect: string[], timeout_ms: number, direct?: boolean }
  | { op: 'cancel', id: string }
  /** a signed directory purge (troupe directory purge) */
  | { op: 'purge', id: string, purge: string }
  /** the agent's open connections (troupe doctor: direct or relayed) */
  | { op: 'connections', id: string }
  | { op: 'shutdown' }

export type AgentMessage =
  /** problem: set when this agent cannot work as it is (another process has its peer id) */
  /** pid: the CLI checks that this user's process holds the socket (agent-paths.ts agentPeerCheck) */
  | { op: 'hello', peer: string, addrs: string[], size: number, synced: boolean, warnings?: string[], pid?: number, problem?: string }
  | { op: 'selected', id: string, nodes: NodeRef[] }
  /** the agent runs with an older config than the CLI's: it exits, and the CLI starts a fresh one */
  | { op: 'restart' }
  /** the agent serves another config file or collective: the CLI must not use or stop it */
  | { op: 'other', file: string, collective: string }
  | { op: 'purged', id: string, error?: string, recipients?: number }
  | { op: 'connections', id: string, connections: PeerConnection[] }
  | { op: 'reply', id: string, peer: string, reply: Reply, delivery?: ReplyDelivery }
  | { op: 'done', id: string }
  | { op: 'error', message: string }

/** Splits a byte stream into JSON lines. */
export function lineReader (onLine: (value: unknown) => void): (chunk: Buffer) => void {
  let buffered = ''
  return chunk => {
    buffered += chunk.toString('utf8')
    let newline = buffered.indexOf('\n')
    while (newline >= 0) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      if (line.trim() !== '') {
        let value: unknown
        try { value = JSON.parse(line) } catch { value = undefined }
        if (value !== undefined) onLine(value)
      }
      newline = buffered.indexOf('\n')
    }
    if (buffered.length > 64 * 1024 * 1024) buffered = ''
  }
}
