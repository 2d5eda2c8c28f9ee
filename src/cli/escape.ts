// Strings that come from nodes (identities, status messages, reply data, facts) are printed
// escaped in human output: control characters (ESC sequences, carriage returns, newlines,
// bidirectional overrides) become visible \xNN / \uNNNN, so a node cannot move the operator's
// cursor, retitle the terminal or forge lines of output. --json output is JSON-escaped already.
import type { ReplyRecord, RequestResult } from '../requester/session.js'

// C0 and C1 controls, DEL, line and paragraph separators, bidirectional embeddings and isolates.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

export function safeText (text: string): string {
  return text.replace(UNSAFE, char => {
    const code = char.charCodeAt(0)
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

/** Every string in a value (keys too), escaped. */
export function safeValue (value: unknown): unknown {
  if (typeof value === 'string') return safeText(value)
  if (Array.isArray(value)) return value.map(safeValue)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [safeText(key), safeValue(inner)]))
  }
  return value
}

export function safeReply (reply: ReplyRecord): ReplyRecord {
  return { ...reply, identity: safeText(reply.identity), statusmsg: safeText(reply.statusmsg), data: safeValue(reply.data) as Record<string, unknown> }
}

export function safeResult (result: RequestResult): RequestResult {
  return {
    ...result,
    replies: result.replies.map(safeReply),
    missing: result.missing.map(safeText),
    unknown: result.unknown.map(safeText),
    lastSeen: Object.fromEntries(Object.entries(result.lastSeen).map(([identity, at]) => [safeText(identity), at]))
  }
}
