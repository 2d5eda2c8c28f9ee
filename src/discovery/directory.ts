// The node directory: the latest registration of every live node, as this peer has heard it.
// Requesters use it to know which nodes should answer (no discovery wait); it is a hint only:
// every node still evaluates the filter itself.
import type { Beat, Registration } from '../wire/registration.js'
import type { Filter, NodeView } from './filter/types.js'
import { matchesFilter } from './filter/evaluate.js'
import { compareText } from '../text.js'
import type { RegistrationCheck } from '../security/registration-check.js'

/** What a requester needs to know of an expected node: who it is and which peer answers for it. */
export interface NodeRef {
  identity: string
  peer: string
  /** set by the requester: it has this node's subscription to the agent's topic, so it delivers the request itself */
  subscribed?: boolean
}

export interface DirectoryEntry {
  /** the registration exactly as its node signed it (it is passed on in snapshots) */
  registration: Registration
  /** local clock, ms, when the newest message of this node arrived */
  lastSeen: number
  /** the latest seq and beat interval heard from this run of the node (beats move them on) */
  seq: number
  interval: number
}

/** An entry expires after this many missed announce intervals. */
const MISSED_INTERVALS_BEFORE_EXPIRY = 3
/** More nodes than any fleet troupe is built for: past it, new entries are refused (and logged). */
export const MAX_DIRECTORY_ENTRIES = 100_000

export interface DirectoryOptions {
  /** what a registration must satisfy to be listed (signature, collective, enrollment) */
  check?: RegistrationCheck
  /** told of every registration refused, with the reason */
  onRefused?: (registration: Registration, reason: string) => void
}

/** Two live entries that claim one identity: never resolved silently, always reported. */
export interface IdentityConflict {
  identity: string
  peers: Array<{ peer: string, started: number, lastSeen: number }>
}

export type BeatOutcome =
  /** the beat refreshed an entry that is up to date */
  | 'current'
  /** the entry is alive but holds an older revision: fetch the registration */
  | 'stale'
  /** no entry for this run of the node: fetch the registration */
  | 'unknown'

export class Directory {
  private readonly byPeer = new Map<string, DirectoryEntry>()
  private readonly listeners = new Set<() => void>()

  constructor (private readonly options: DirectoryOptions = {}) {}

  /** Applies a full registration (announce or leave). Returns true when the directory changed. */
  apply (registration: Registration, now = Date.now()): boolean {
    const entry = this.byPeer.get(registration.peer)
    const known = entry?.registration
    if (registration.kind === 'leave') {
      if (entry === undefined || known === undefined || registration.started < known.started || (registration.started === known.started && registration.seq < entry.seq)) return false
      if (!this.acceptable(registration, now)) return false
      this.byPeer.delete(registration.peer)
      this.changed()
      return true
    }
    if (entry !== undefined && known !== undefined && !supersedes(registration, known)) {
      // Same content, later message: it still says the node is alive.
      if (registration.started === known.started && registration.seq > entry.seq) this.refresh(registration.peer, registration, now)
      return false
    }
    if (!this.acceptable(registration, now)) return false
    const seq = Math.max(registration.seq, known?.started === registration.started ? entry?.seq ?? 0 : 0)
    this.byPeer.set(registration.peer, { registration, lastSeen: now, seq, interval: registration.interval })
    this.changed()
    return true
  }

  /** Applies a beat: refreshes the entry, and says whether its registration must be fetched. */
  applyBeat (beat: Beat, now = Date.now()): BeatOutcome {
    const entry = this.byPeer.get(beat.peer)
    if (entry !== undefined && beat.started === entry.registration.started && beat.seq > entry.seq) this.refresh(beat.peer, beat, now)
    return this.judgeBeat(beat)
  }

  /** What a beat says of the entry held for its node, without applying it. */
  judgeBeat (beat: Beat): BeatOutcome {
    const known = this.byPeer.get(beat.peer)?.registration
    if (known === undefined || beat.started > known.started) return 'unknown'
    if (beat.started < known.started) return 'current'
    return beat.rev > known.rev ? 'stale' : 'current'
  }

  /** Merges entries from another peer's directory; their age counts back from now. */
  merge (entries: Array<{ registration: Registration, ageMs: number }>, now = Date.now()): void {
    let changed = false
    for (const { registration, ageMs } of entries) {
      if (registration.kind !== 'announce') continue
      const known = this.byPeer.get(registration.peer)
      const lastSeen = now - Math.max(0, ageMs)
      if (isExpired(registration.interval, lastSeen, now)) continue
      if (known !== undefined && !supersedes(registration, known.registration)) {
        if (registration.started === known.registration.started && lastSeen > known.lastSeen) known.lastSeen = lastSeen
        continue
      }
      // Checked only when it would change what is held: a snapshot repeats mostly known entries.
      if (!this.acceptable(registration, now)) continue
      this.byPeer.set(registration.peer, { registration, lastSeen, seq: registration.seq, interval: registration.interval })
      changed = true
    }
    if (changed) this.changed()
  }

  expire (now = Date.now()): string[] {
    const gone: string[] = []
    for (const [peer, entry] of this.byPeer) {
      if (isExpired(entry.interval, entry.lastSeen, now)) {
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

  /** Checks every entry again (the CRL changed): entries that no longer pass are removed. */
  recheck (now = Date.now()): void {
    let changed = false
    for (const [peer, entry] of this.byPeer) {
      const reason = this.options.check?.(entry.registration, now)
      if (reason === undefined) continue
      this.byPeer.delete(peer)
      this.options.onRefused?.(entry.registration, reason)
      changed = true
    }
    if (changed) this.changed()
  }

  /**
   * Identities that more than one live entry claims. A node that restarted with a new peer key
   * without leaving shows here until its old entry expires; two hosts enrolled under one name (a
   * copied certificate) show here until one is stopped.
   */
  conflicts (): IdentityConflict[] {
    const byIdentity = new Map<string, DirectoryEntry[]>()
    for (const entry of this.byPeer.values()) {
      const claims = byIdentity.get(entry.registration.identity) ?? []
      claims.push(entry)
      byIdentity.set(entry.registration.identity, claims)
    }
    return [...byIdentity].filter(([, claims]) => claims.length > 1).map(([identity, claims]) => ({
      identity,
      peers: claims.map(({ registration, lastSeen }) => ({ peer: registration.peer, started: registration.started, lastSeen }))
    })).sort((a, b) => compareText(a.identity, b.identity))
  }

  /** One entry per identity: when a node restarted with a new peer id, the newest wins (and conflicts() reports both). */
  nodes (): Registration[] {
    const byIdentity = new Map<string, Registration>()
    for (const { registration } of this.byPeer.values()) {
      const other = byIdentity.get(registration.identity)
      if (other === undefined || registration.started > other.started) byIdentity.set(registration.identity, registration)
    }
    return [...byIdentity.values()].sort((a, b) => compareText(a.identity, b.identity))
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

  /** The latest seq heard from this peer's current run (its registration's, or a later beat's). */
  latestSeq (peer: string): number | undefined {
    return this.byPeer.get(peer)?.seq
  }

  /** Entries for a snapshot: all of them, or those of the given peers. */
  snapshot (peers?: string[], now = Date.now()): Array<{ registration: Registration, ageMs: number }> {
    const entries = peers === undefined ? [...this.byPeer.values()] : peers.map(peer => this.byPeer.get(peer)).filter(entry => entry !== undefined)
    return entries.map(entry => ({ registration: entry.registration, ageMs: now - entry.lastSeen }))
  }

  get size (): number {
    return this.byPeer.size
  }

  onChange (listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** A later message of the same run: the entry is alive, at the interval it now announces. */
  private refresh (peer: string, message: Pick<Registration, 'seq' | 'interval'>, now: number): void {
    const entry = this.byPeer.get(peer)
    if (entry === undefined) return
    entry.seq = message.seq
    entry.interval = message.interval
    entry.lastSeen = now
  }

  private acceptable (registration: Registration, now: number): boolean {
    const reason = this.byPeer.size >= MAX_DIRECTORY_ENTRIES && !this.byPeer.has(registration.peer)
      ? `the directory holds ${MAX_DIRECTORY_ENTRIES} entries already`
      : this.options.check?.(registration, now)
    if (reason === undefined) return true
    this.options.onRefused?.(registration, reason)
    return false
  }

  private changed (): void {
    for (const listener of this.listeners) listener()
  }
}

export function nodeView (registration: Registration): NodeView {
  return { identity: registration.identity, facts: registration.facts, classes: registration.classes, agents: registration.agents }
}

/** Whether a registration says something newer than the one held: a later run, or a later revision. */
function supersedes (candidate: Registration, known: Registration): boolean {
  if (candidate.started !== known.started) return candidate.started > known.started
  return candidate.rev > known.rev
}

function isExpired (intervalSeconds: number, lastSeen: number, now: number): boolean {
  return now - lastSeen > intervalSeconds * 1000 * MISSED_INTERVALS_BEFORE_EXPIRY
}
