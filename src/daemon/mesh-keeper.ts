// Keeps a daemon connected to a few other daemons, not only to the bootstrap, so the gossip
// mesh survives the bootstrap going away: the bootstrap is the first peer, not a router.
import { peerIdFromString } from '@libp2p/peer-id'
import { connectionTo } from '../transport/connections.js'
import { nextDelayMs, type BackoffDelays } from '../transport/dial-backoff.js'
import type { MeshMember } from '../mesh/member.js'
import type { Logger } from '../log.js'
import { coalesced } from '../coalesce.js'

const TARGET_PEERS = 6
/**
 * The periodic top-up finds daemons newly in the directory. Was 5 s; a lost peer is replaced at
 * once instead (a top-up shortly after each peer:disconnect), so this is only for a mesh that
 * has room: 30 s keeps an idle daemon from waking for it (docs/design.md, "Timers").
 */
const CHECK_INTERVAL_MS = 30_000
/** A top-up this long after a disconnect or a directory change: several together give one. */
const AFTER_DISCONNECT_MS = 1_000
/**
 * A starting daemon's first top-up comes at a random moment in this window, not at once. Mesh
 * peers are insurance against losing the bootstrap; a fleet started together that dialled them
 * at once spent most of its join on them (a 50-daemon fleet: ~12 handshakes, identifies and
 * gossip set-ups per daemon, each daemon dialling before it could count the others' dials to
 * it): listed after 42.2 s in bench run G, after 15.4 s with this wait in run H (docs/design.md,
 * "A fleet joining at once"). A lost connection ends the wait: the mesh is needed then.
 */
export const FIRST_TOP_UP_WINDOW_MS = { from: 15_000, to: 60_000 } as const
/**
 * After a top-up in which a dial failed, the next one waits this long (doubling up to maxMs; a
 * top-up whose dials all went through resets it). A fleet joining at once changes the directory
 * every second, and each change asked for another top-up: daemons too busy to finish a handshake
 * in time were dialled without pause by every daemon short of peers, each abandoned dial leaving
 * its target a handshake to do for nothing. A lost connection waits for the pause too (2 min at
 * most): mesh peers are insurance, and the dials that failed say the fleet is busy.
 */
export const FAILED_TOP_UP_PAUSE_MS: BackoffDelays = { firstMs: 5_000, maxMs: 120_000 }

export class MeshKeeper {
  private timer: NodeJS.Timeout | undefined
  /** the top-up under way, if any: its dials are not connections yet, so a second would double them */
  private running: Promise<void> | undefined
  private again = false
  private stopped = false
  /**
   * A top-up AFTER_DISCONNECT_MS after the first of several disconnects or directory changes; a
   * disconnect before the first top-up brings it (keepUp).
   */
  private readonly topUpSoon = coalesced(() => { this.keepUp() }, AFTER_DISCONNECT_MS)
  private unwatchDirectory: (() => void) | undefined
  private firstTopUp: NodeJS.Timeout | undefined
  /** no top-up before this (a failed dial's pause), and the pause the next failure brings */
  private pausedUntil = 0
  private pauseMs = 0
  private resumeTimer: NodeJS.Timeout | undefined

  constructor (private readonly member: MeshMember, private readonly log: Logger, private readonly firstTopUpWindowMs: { from: number, to: number } = FIRST_TOP_UP_WINDOW_MS,
    private readonly failedPauseMs: BackoffDelays = FAILED_TOP_UP_PAUSE_MS) {}

  start (): void {
    this.member.node.addEventListener('peer:disconnect', this.topUpSoon)
    const { from, to } = this.firstTopUpWindowMs
    this.firstTopUp = setTimeout(() => { this.keepUp() }, from + Math.random() * (to - from))
    this.firstTopUp.unref()
  }

  /** A top-up now; the first one also starts the periodic checks and the top-ups after directory changes. */
  private keepUp (): void {
    if (this.stopped) return
    if (this.timer === undefined) {
      clearTimeout(this.firstTopUp)
      this.timer = setInterval(() => { this.topUpNow() }, CHECK_INTERVAL_MS)
      this.timer.unref()
      // A directory that changed (a newcomer's registration) may hold new candidates.
      this.unwatchDirectory = this.member.directory.onChange(this.topUpSoon)
    }
    this.topUpNow()
  }

  stop (): void {
    this.stopped = true
    clearTimeout(this.firstTopUp)
    clearTimeout(this.resumeTimer)
    clearInterval(this.timer)
    this.unwatchDirectory?.()
    this.member.node.removeEventListener('peer:disconnect', this.topUpSoon)
  }

  /**
   * One top-up at a time. A fleet that starts together changes the directory every second while
   * dials take seconds on a loaded host: overlapping top-ups each counted the same connections
   * and dialled again. A top-up asked for meanwhile runs once the current one ends.
   */
  private topUpNow (): void {
    if (this.stopped) return
    if (this.running !== undefined) {
      this.again = true
      return
    }
    const pausedFor = this.pausedUntil - Date.now()
    if (pausedFor > 0) {
      this.resumeTimer ??= setTimeout(() => { this.resumeTimer = undefined; this.topUpNow() }, pausedFor)
      this.resumeTimer.unref()
      return
    }
    this.running = this.topUp().then(failed => {
      this.pauseMs = failed ? nextDelayMs(this.pauseMs, this.failedPauseMs) : 0
      this.pausedUntil = Date.now() + this.pauseMs
    }).finally(() => {
      this.running = undefined
      if (this.again) {
        this.again = false
        this.topUpNow()
      }
    })
  }

  /** Dials daemons until TARGET_PEERS are connected; true when a dial failed. */
  private async topUp (): Promise<boolean> {
    const node = this.member.node
    if (node.status !== 'started') return false
    const self = node.peerId.toString()
    const connected = new Set(node.getPeers().map(peer => peer.toString()))
    // Counted over the connections, not the directory: a daemon with its six (the usual case on
    // every directory change) looks at nothing else.
    const connectedDaemons = [...connected].filter(peer => this.member.directory.byPeerId(peer) !== undefined).length
    if (connectedDaemons >= TARGET_PEERS) return false
    // Gossip does not run over relayed connections: a node reachable only through a relay is no
    // mesh peer (under the PE rule every node is such a node, and the bootstraps carry gossip).
    // Nor a peer with recent rejects (refused admission, forged requests): dialling it again every
    // check only reopens a connection to be closed (a revoked node, until its entry expires).
    const candidates = this.member.directory.nodes().filter(reg => reg.peer !== self && !connected.has(reg.peer) &&
      !this.member.dialPolicy.relayedOnly(reg.peer) && this.member.penalties.score(reg.peer) >= 0)
    const wanted = Math.min(TARGET_PEERS - connectedDaemons, candidates.length)
    let failed = false
    for (const registration of shuffle(candidates).slice(0, wanted)) {
      try {
        await connectionTo(node, peerIdFromString(registration.peer), registration.addrs, AbortSignal.timeout(5000))
      } catch (err) {
        failed = true
        this.log.debug({ peer: registration.identity, err: String(err) }, 'could not reach mesh peer')
      }
    }
    return failed
  }
}

function shuffle<T> (items: T[]): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j] as T, copy[i] as T]
  }
  return copy
}
