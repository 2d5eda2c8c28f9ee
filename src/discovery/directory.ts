// The node directory: the latest registration of every live node, as this peer has heard it.
// Requesters use it to know which nodes should answer (no discovery wait); it is a hint only:
// every node still evaluates the filter itself.
import type { Registration } from '../wire/registration.js'
import type { Filter, NodeView } from './filter/types.js'
import { matchesFilter } from './filter/evaluate.js'

/** What a requester needs to know of an expected node: who it is and which peer answers for it. */
export interface NodeRef {
  identity: string
  peer: string
}

export interface DirectoryEntry {
  registration: Registration
  /** local clock, ms, when the newest registration arrived */
  lastSeen: number
}

/** An entry expires after this many missed announce intervals. */
const MISSED_INTERVALS_BEFORE_EXPIRY = 3

export class Directory {
  private readonly byPeer = new Map<string, DirectoryEntry>()
  private readonly listeners = new Set<() => void>()

  /** Applies a registration (announce or leave). Returns true when the directory changed. */
  apply (registration: Registration, now = Date.now()): boolean {
    const known = this.byPeer.get(registration.peer)
    if (known !== undefined && isOlder(registration, known.registration)) return false
    if (registration.kind === 'leave') {
      const removed = this.byPeer.delete(registration.peer)
      if (removed) this.changed()
      return removed
    }
    const isNew = known === undefined || known.registration.seq !== registration.seq || known.registration.started !== registration.started
    this.byPeer.set(registration.peer, { registration, lastSeen: now })
    if (isNew) this.changed()
    return isNew
  }

  /** Merges a snapshot from another peer; entries it has seen recently count as seen now minus their age. */
  merge (entries: Array<{ registration: Registration, ageMs: number }>, now = Date.now()): void {
    for (const { registration, ageMs } of entries) {
      const known = this.byPeer.get(registration.peer)
      if (known !== undefined && !isOlder(known.registration, registration)) continue
      const lastSeen = now - Math.max(0, ageMs)
      if (isExpired(registration, lastSeen, now)) continue
      this.byPeer.set(registration.peer, { registration, lastSeen })
    }
    this.changed()
  }

  expire (now = Date.now()): string[] {
    const gone: string[] = []
    for (const [peer, entry] of this.byPeer) {
      if (isExpired(entry.registration, entry.lastSeen, now)) {
        this.byPeer.delete(peer)
        gone.push(entry.registration.identity)
      }
    }
    if (gone.length > 0) this.changed()
    return gone
  }

  remove (peer: string): void {
    if (this.byPeer.delete(peer)) this.changed()
  }

  /** One entry per identity: when a node restarted with a new peer id, the newest wins. */
  nodes (): Registration[] {
    const byIdentity = new Map<string, Registration>()
    for (const { registration } of this.byPeer.values()) {
      const other = byIdentity.get(registration.identity)
      if (other === undefined || registration.started > other.started) byIdentity.set(registration.identity, registration)
    }
    return [...byIdentity.values()].sort((a, b) => a.identity.localeCompare(b.identity))
  }

  /** The nodes that match a filter (and serve the agent, when one is given), in identity order. */
  select (filter: Filter, agent?: string): NodeRef[] {
    return this.nodes()
      .filter(node => (agent === undefined || node.agents.includes(agent)) && matchesFilter(filter, nodeView(node)))
      .map(node => ({ identity: node.identity, peer: node.peer }))
  }

  byPeerId (peer: string): Registration | undefined {
    return this.byPeer.get(peer)?.registration
  }

  snapshot (now = Date.now()): Array<{ registration: Registration, ageMs: number }> {
    return [...this.byPeer.values()].map(entry => ({ registration: entry.registration, ageMs: now - entry.lastSeen }))
  }

  get size (): number {
    return this.byPeer.size
  }

  onChange (listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private changed (): void {
    for (const listener of this.listeners) listener()
  }
}

export function nodeView (registration: Registration): NodeView {
  return { identity: registration.identity, facts: registration.facts, classes: registration.classes, agents: registration.agents }
}

function isOlder (candidate: Registration, known: Registration): boolean {
  if (candidate.started !== known.started) return candidate.started < known.started
  return candidate.seq < known.seq
}

function isExpired (registration: Registration, lastSeen: number, now: number): boolean {
  return now - lastSeen > registration.interval * 1000 * MISSED_INTERVALS_BEFORE_EXPIRY
}
