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
  /**
   * set by the requester: it delivers the request to this node itself (over a connection it
   * holds, or to an address the node advertises), so the mesh need not relay it there
   */
  deliverable?: boolean
  /** past expiry (it stopped beating): reported missing, not sent to */
  gone?: boolean
  /** for a gone node: when it was last heard from (ms since epoch, this peer's clock) */
  lastSeen?: number
}

export interface DirectoryEntry {
  /** the registration exactly as its node signed it (it is passed on in snapshots) */
  registration: Registration
  /** local clock, ms, when the newest message of this node arrived */
  lastSeen: number
  /** the latest seq and beat interval heard from this run of the node (beats move them on) */
  seq: number
  interval: number
  /** false for an entry merged from a snapshot and not yet checked (DirectoryOptions.checkOnUse) */
  checked: boolean
}

/** A directory entry as one peer hands it to another; ageMs is absent when that peer hears no beats. */
export interface SnapshotEntry {
  registration: Registration
  ageMs?: number
}

/** An entry expires after this many missed announce intervals. */
export const MISSED_INTERVALS_BEFORE_EXPIRY = 3
/**
 * An expired entry is kept, and its node reported missing with its last-seen time, this long
 * (docs/configuration.md): a dead host must not silently drop out of every answer. Before then
 * it goes only by a clean leave, by `troupe directory purge`, or by coming back.
 */
export const GONE_FORGET_AFTER_MS = 7 * 24 * 3600 * 1000
/** A purge refuses copies of the entry whose last sign of life is older than the purge. */
const PURGE_MEMORY_MS = GONE_FORGET_AFTER_MS
/** More nodes than any fleet troupe is built for: past it, new entries are refused (and logged). */
export const MAX_DIRECTORY_ENTRIES = 100_000

export interface DirectoryOptions {
  /** what a registration must satisfy to be listed (signature, collective, enrollment) */
  check?: RegistrationCheck
  /**
   * For a peer that hears no beats (a daemon): liveness only from registrations, which every
   * node repeats this often (seconds, asked when needed: it grows with the fleet). Entries expire
   * after MISSED_INTERVALS_BEFORE_EXPIRY of these; snapshots say nothing of a live entry's age (this peer does not know it), and any
   * authorized purge is applied.
   */
  registrationsOnlyEvery?: () => number
  /**
   * For a daemon: entries merged from snapshots are held unchecked, and checked only when this
   * peer trusts what they say (a claim on an identity, a registration gossiped for the same
   * peer). A daemon only passes its directory on, and whoever takes it checks every entry; it
   * dials the addresses it holds, and admission proves who answers. Checking each entry of a
   * snapshot on arrival (two signatures and a certificate, ~0.3 ms) made a daemon's join cost
   * grow with the fleet: at 1000 nodes, 0.3 s of the CPU every daemon spends to join.
   */
  checkOnUse?: boolean
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
  /** peers purged, and when (local clock): stale copies handed back by other peers are refused */
  private readonly purged = new Map<string, number>()
  /** peers already reported as expired (so the expiry is logged once) */
  private readonly reportedGone = new Set<string>()

  constructor (private readonly options: DirectoryOptions = {}) {}

  /** Applies a full registration (announce or leave). Returns true when the directory changed. */
  apply (registration: Registration, now = Date.now()): boolean {
    // A registration that arrives now is a fresh sign of life: it lifts an earlier purge.
    this.purged.delete(registration.peer)
    const entry = this.settled(registration.peer, now)
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
    this.byPeer.set(registration.peer, { registration, lastSeen: now, seq, interval: registration.interval, checked: true })
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

  /**
   * Merges entries from another peer's directory; their age counts back from now. An entry
   * without an age (from a peer that hears no beats) is taken as alive when it is new here, and
   * never makes a known entry look more alive than this peer has seen it.
   */
  merge (entries: SnapshotEntry[], now = Date.now()): void {
    let changed = false
    for (const { registration, ageMs } of entries) {
      if (registration.kind !== 'announce') continue
      const known = this.byPeer.get(registration.peer)
      const lastSeen = ageMs === undefined ? (known?.lastSeen ?? now) : now - Math.max(0, ageMs)
      // Expired entries are merged too (a newcomer must report a dead node as missing as well),
      // unless forgotten, or purged here after their last sign of life.
      if (now - lastSeen > GONE_FORGET_AFTER_MS) continue
      const purgedAt = this.purged.get(registration.peer)
      if (purgedAt !== undefined && lastSeen <= purgedAt) continue
      if (known !== undefined && !supersedes(registration, known.registration)) {
        if (registration.started === known.registration.started && lastSeen > known.lastSeen) known.lastSeen = lastSeen
        continue
      }
      // Checked only when it would change what is held: a snapshot repeats mostly known entries.
      // Held unchecked where that is allowed, whatever it replaces: during a join a node's revision
      // moves on as its addresses settle, and checking each newer copy cost as much as checking
      // all (a forged copy is dropped when the node's own registration next arrives: settled).
      const checked = this.options.checkOnUse !== true
      if (!this.acceptable(registration, now, checked)) continue
      this.byPeer.set(registration.peer, { registration, lastSeen, seq: registration.seq, interval: registration.interval, checked })
      changed = true
    }
    if (changed) this.changed()
  }

  /**
   * Returns the identities that passed their expiry since the last call (they are now reported
   * missing, not sent to) and drops the entries gone longer than GONE_FORGET_AFTER_MS.
   */
  expire (now = Date.now()): string[] {
    const gone: string[] = []
    let changed = false
    for (const [peer, entry] of this.byPeer) {
      if (now - entry.lastSeen > GONE_FORGET_AFTER_MS) {
        this.byPeer.delete(peer)
        this.reportedGone.delete(peer)
        changed = true
      } else if (this.expired(entry, now)) {
        if (!this.reportedGone.has(peer)) {
          this.reportedGone.add(peer)
          gone.push(entry.registration.identity)
          changed = true
        }
      } else {
        this.reportedGone.delete(peer)
      }
    }
    for (const [peer, at] of this.purged) if (now - at > PURGE_MEMORY_MS) this.purged.delete(peer)
    if (changed) this.changed()
    return gone
  }

  /**
   * Forgets a node past its expiry (`troupe directory purge`), and refuses copies of its entry
   * that other peers hand back unless they show it alive after now. A live entry is not purged:
   * returns false.
   */
  purge (peer: string, now = Date.now()): boolean {
    const entry = this.byPeer.get(peer)
    // A peer that hears no beats cannot tell a dead node from a live one for hours: it takes the
    // word of the requester or bootstrap that checked (the purge is signed by an authorized caller).
    if (entry !== undefined && this.options.registrationsOnlyEvery === undefined && !this.expired(entry, now)) return false
    this.purged.set(peer, now)
    this.reportedGone.delete(peer)
    if (entry !== undefined) {
      this.byPeer.delete(peer)
      this.changed()
    }
    return true
  }

  /** Whether the entry of this peer is past expiry (false for a live or unknown one). */
  isGone (peer: string, now = Date.now()): boolean {
    const entry = this.byPeer.get(peer)
    return entry !== undefined && this.expired(entry, now)
  }

  remove (peer: string): void {
    if (this.byPeer.delete(peer)) this.changed()
  }

  /** Checks every entry again (the CRL changed): entries that no longer pass are removed. */
  recheck (now = Date.now()): void {
    let changed = false
    for (const [peer, entry] of this.byPeer) {
      const reason = this.options.check?.(entry.registration, now)
      if (reason === undefined) {
        entry.checked = true
        continue
      }
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
  conflicts (now = Date.now()): IdentityConflict[] {
    const byIdentity = new Map<string, DirectoryEntry[]>()
    for (const entry of this.byPeer.values()) {
      // Entries past expiry are kept (reported missing), but they claim nothing.
      if (this.expired(entry, now)) continue
      const claims = byIdentity.get(entry.registration.identity) ?? []
      claims.push(entry)
      byIdentity.set(entry.registration.identity, claims)
    }
    // A conflict is reported on what was checked: an unchecked claim is checked now.
    const settle = (claims: DirectoryEntry[]): DirectoryEntry[] => claims.filter(entry => this.settled(entry.registration.peer, now) !== undefined)
    return [...byIdentity].map(([identity, claims]) => [identity, claims.length > 1 ? settle(claims) : claims] as const).filter(([, claims]) => claims.length > 1).map(([identity, claims]) => ({
      identity,
      peers: claims.map(({ registration, lastSeen }) => ({ peer: registration.peer, started: registration.started, lastSeen }))
    })).sort((a, b) => compareText(a.identity, b.identity))
  }

  /** The live nodes, one entry per identity: when a node restarted with a new peer id, the newest wins (and conflicts() reports both). */
  nodes (now = Date.now()): Registration[] {
    return this.entries(now).filter(entry => !entry.gone).map(entry => entry.registration)
  }

  /**
   * The nodes that match a filter (and serve the agent, when one is given), in identity order;
   * with `gone`, also those past expiry (flagged, with their last-seen time).
   */
  select (filter: Filter, agent?: string, options: { gone?: boolean } = {}, now = Date.now()): NodeRef[] {
    return this.entries(now)
      .filter(entry => (options.gone === true || !entry.gone) && (agent === undefined || entry.registration.agents.includes(agent)) && matchesFilter(filter, nodeView(entry.registration)))
      .map(({ registration, gone, lastSeen }) => gone ? { identity: registration.identity, peer: registration.peer, gone, lastSeen } : { identity: registration.identity, peer: registration.peer })
  }

  /** One entry per identity (the newest run wins), live or gone, in identity order. */
  private entries (now: number): Array<{ registration: Registration, gone: boolean, lastSeen: number }> {
    const byIdentity = new Map<string, DirectoryEntry>()
    for (const entry of this.byPeer.values()) {
      const other = byIdentity.get(entry.registration.identity)
      if (other === undefined || entry.registration.started > other.registration.started) byIdentity.set(entry.registration.identity, entry)
    }
    return [...byIdentity.values()]
      .sort((a, b) => compareText(a.registration.identity, b.registration.identity))
      .map(entry => ({ registration: entry.registration, lastSeen: entry.lastSeen, gone: this.expired(entry, now) }))
  }

  byPeerId (peer: string): Registration | undefined {
    return this.byPeer.get(peer)?.registration
  }

  /** The latest seq heard from this peer's current run (its registration's, or a later beat's). */
  latestSeq (peer: string): number | undefined {
    return this.byPeer.get(peer)?.seq
  }

  /**
   * Entries for a snapshot: all of them, or those of the given peers. Without an age, an entry
   * says only that the node is registered (this peer hears no beats): see merge.
   */
  snapshot (peers?: string[], now = Date.now()): SnapshotEntry[] {
    const entries = peers === undefined ? [...this.byPeer.values()] : peers.map(peer => this.byPeer.get(peer)).filter(entry => entry !== undefined)
    return entries.map(entry => this.options.registrationsOnlyEvery !== undefined && !this.expired(entry, now)
      ? { registration: entry.registration }
      : { registration: entry.registration, ageMs: now - entry.lastSeen })
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

  /** Past expiry: three intervals without a beat (or, where no beats are heard, without a registration). */
  private expired (entry: DirectoryEntry, now: number): boolean {
    return isExpired(Math.max(entry.interval, this.options.registrationsOnlyEvery?.() ?? 0), entry.lastSeen, now)
  }

  /** Whether a registration may be listed: room for it, and (unless told not to check) it passes the check. */
  private acceptable (registration: Registration, now: number, check = true): boolean {
    const reason = this.byPeer.size >= MAX_DIRECTORY_ENTRIES && !this.byPeer.has(registration.peer)
      ? `the directory holds ${MAX_DIRECTORY_ENTRIES} entries already`
      : check ? this.options.check?.(registration, now) : undefined
    if (reason === undefined) return true
    this.options.onRefused?.(registration, reason)
    return false
  }

  /** The entry held for a peer, checked now if it was held unchecked; an entry that fails is dropped (and undefined returned). */
  private settled (peer: string, now: number): DirectoryEntry | undefined {
    const entry = this.byPeer.get(peer)
    if (entry === undefined || entry.checked) return entry
    const reason = this.options.check?.(entry.registration, now)
    if (reason === undefined) {
      entry.checked = true
      return entry
    }
    this.byPeer.delete(peer)
    this.options.onRefused?.(entry.registration, reason)
    return undefined
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
