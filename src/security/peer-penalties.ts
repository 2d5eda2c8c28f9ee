// Peers that keep sending forged or undecodable messages: their gossipsub score drops with every
// rejected message (so honest peers stop exchanging gossip with them), and past a threshold they
// are cut off and refused for a while.

const DECAY_HALF_LIFE_MS = 60_000
const SCORE_PER_REJECT = -100
const BAN_AFTER_REJECTS = 20
const BAN_MS = 10 * 60_000
/**
 * Rejects faded below this count are forgotten: the peer's score is 0 again (one reject is
 * forgotten after a little over three minutes). Without it a single reject left a score just
 * under zero for good, and the requester and the mesh keeper, which pass over peers with a
 * negative score, never dialled that peer again.
 */
const FORGET_BELOW_REJECTS = 0.1

interface PeerRecord {
  rejects: number
  updated: number
}

export class PeerPenalties {
  private readonly records = new Map<string, PeerRecord>()
  private readonly bannedUntil = new Map<string, number>()

  /** Records a rejected message; returns true when the peer is now banned. */
  reject (peer: string, now = Date.now()): boolean {
    const record = this.decayed(peer, now)
    record.rejects += 1
    this.records.set(peer, record)
    if (this.records.size > 10_000) this.records.delete(this.records.keys().next().value as string)
    if (record.rejects >= BAN_AFTER_REJECTS) {
      this.bannedUntil.set(peer, now + BAN_MS)
      return true
    }
    return false
  }

  /** Refuses a peer's connections for a while (it failed admission, say). */
  ban (peer: string, forMs: number, now = Date.now()): void {
    if (this.bannedUntil.size > 10_000) this.bannedUntil.delete(this.bannedUntil.keys().next().value as string)
    this.bannedUntil.set(peer, now + forMs)
  }

  /** Gossipsub application-specific score: negative while the peer has recent rejects. */
  score (peer: string, now = Date.now()): number {
    const record = this.records.get(peer)
    if (record === undefined) return 0
    const { rejects } = this.decayed(peer, now)
    return rejects >= FORGET_BELOW_REJECTS ? rejects * SCORE_PER_REJECT : 0
  }

  isBanned (peer: string, now = Date.now()): boolean {
    const until = this.bannedUntil.get(peer)
    if (until === undefined) return false
    if (until > now) return true
    this.bannedUntil.delete(peer)
    return false
  }

  private decayed (peer: string, now: number): PeerRecord {
    const record = this.records.get(peer)
    if (record === undefined) return { rejects: 0, updated: now }
    const factor = 0.5 ** ((now - record.updated) / DECAY_HALF_LIFE_MS)
    return { rejects: record.rejects * factor, updated: now }
  }
}
