// An expected node that has said nothing (no reply, no notice, no refusal) is sent the request
// again, directly, while the command's timeout lasts. The first send can miss a node without
// anyone knowing: the node was restarting when the request went out (its gossip copies are
// advertised for three heartbeats, 6 s, then forgotten), a dial to it timed out once on a loaded
// host, or a stream it was written to died with its connection. The node's replay cache drops a
// copy it already has, so asking again never makes it act twice.

/** The first re-ask, after the send: replies from a healthy fleet have all come by then. */
export const REASK_FIRST_MS = 2000
/** Then this often, until the timeout. */
export const REASK_EVERY_MS = 4000
/**
 * No one is asked again while answers still come in: the fleet is working through the request
 * (a first request to 500 nodes on a loaded host took 7 s), and copies sent then only add to the
 * load. A round waits until nothing was heard for this long.
 */
export const REASK_QUIET_MS = 1000

export interface ReaskParts {
  /** the expected nodes that have not answered in any way yet */
  silent: () => Iterable<string>
  /** sends the request to one node directly; settles when that attempt is over */
  send: (peer: string) => Promise<void>
  /**
   * True while the first copy is still on its way to this node (its stream opening): it is not
   * sent a second before the first is out. On a loaded requester, opening the first streams to
   * 2000 nodes outlasted the first round, and nearly every node got two copies at once.
   */
  underway?: (peer: string) => boolean
  /** when the send last heard from any node (ms since epoch) */
  lastHeardAt: () => number
  /** the send's whole time: no re-ask is started after it */
  timeoutMs: number
  firstMs?: number
  everyMs?: number
  quietMs?: number
}

/** Starts re-asking; the returned function stops it (the send finished). */
export function reaskSilent (parts: ReaskParts): () => void {
  const startedAt = Date.now()
  const inFlight = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const schedule = (delayMs: number): void => {
    if (stopped || Date.now() - startedAt + delayMs >= parts.timeoutMs) return
    timer = setTimeout(round, delayMs)
  }
  const round = (): void => {
    const quietMs = parts.quietMs ?? REASK_QUIET_MS
    const quietFor = Date.now() - parts.lastHeardAt()
    if (quietFor < quietMs) {
      schedule(quietMs - quietFor)
      return
    }
    // A node whose last attempt is still dialling is not dialled twice.
    for (const peer of [...parts.silent()]) {
      if (inFlight.has(peer) || parts.underway?.(peer) === true) continue
      inFlight.add(peer)
      void parts.send(peer).catch(() => {}).finally(() => inFlight.delete(peer))
    }
    schedule(parts.everyMs ?? REASK_EVERY_MS)
  }
  schedule(parts.firstMs ?? REASK_FIRST_MS)
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
