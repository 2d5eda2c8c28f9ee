// The requester agent's local protocol: newline-delimited JSON over a unix socket (mode 0600 in
// a 0700 directory). The CLI signs requests itself; the agent only publishes them and relays
// replies, so whoever reaches the socket cannot do more than the keys they hold allow.
import type { Reply } from '../wire/reply.js'
import type { NodeRef } from '../discovery/directory.js'

export type ClientMessage =
  | { op: 'hello', stamp: string }
  /** the nodes of the directory that match a filter (the CLI never downloads the directory) */
  | { op: 'select', id: string, filter: unknown, agent?: string }
  | { op: 'send', id: string, topic: string, request: string, expect: string[], timeout_ms: number, direct?: boolean }
  | { op: 'cancel', id: string }
  | { op: 'shutdown' }

export type AgentMessage =
  | { op: 'hello', peer: string, addrs: string[], size: number, synced: boolean, warnings?: string[] }
  | { op: 'selected', id: string, nodes: NodeRef[] }
  /** the agent runs with an older config than the CLI's: it exits, and the CLI starts a fresh one */
  | { op: 'restart' }
  | { op: 'reply', id: string, peer: string, reply: Reply }
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
