// Which expected nodes a send still waits for. A reply or a refusal answers a node. A notice
// (the node acted, its first try to deliver the reply failed, and it keeps trying until the
// request's time-to-live) does not: on a loaded fleet the reply often follows seconds later,
// and finishing on the notice reported such a node as "reply undeliverable" and turned away the
// reply that came after it. Once a node has said anything, it is no longer asked again.
import type { ReplyEvent } from './requester-peer.js'

export class Answers {
  /** no reply or refusal yet: the send waits for these */
  private readonly unanswered: Set<string>
  /** not heard from at all (not even a notice): these are asked again (reask.ts) */
  readonly silent: Set<string>
  private readonly replied = new Set<string>()
  /** when anything was last heard from a node (ms since epoch; the start until then) */
  lastHeardAt = Date.now()

  constructor (private readonly expected: readonly string[], private readonly onAllAnswered: () => void) {
    this.unanswered = new Set(expected)
    this.silent = new Set(expected)
  }

  /** Takes one event; false when it is to be dropped (the node's reply is already in hand). */
  take (event: Pick<ReplyEvent, 'peer' | 'delivery'>): boolean {
    // A reply that arrives after the node's notice supersedes it; nothing supersedes a reply.
    if (this.replied.has(event.peer)) return false
    this.silent.delete(event.peer)
    this.lastHeardAt = Date.now()
    if (event.delivery === 'undelivered') return true
    this.replied.add(event.peer)
    this.unanswered.delete(event.peer)
    if (this.expected.length > 0 && this.unanswered.size === 0) this.onAllAnswered()
    return true
  }
}
