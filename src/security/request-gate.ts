// The first-hop check every mesh member applies to a request before it is delivered or
// forwarded: decode, signature, freshness, replay. Anything that fails is not forwarded.
// Authorization (is this caller allowed here?) is the daemon's later step, so a caller that is
// not authorized gets a refusal reply instead of silence.
import { openRequest, requestValidUntil, type RequestBody } from '../wire/request.js'
import { WireError } from '../wire/errors.js'
import { ReplayCache } from './replay.js'

export type GateVerdict =
  | { verdict: 'accept', body: RequestBody }
  /** forged, tampered or undecodable: the sender is at fault (gossipsub penalises it) */
  | { verdict: 'reject', reason: string, kind: WireError['reason'] }
  /** expired, from the future or replayed: dropped without blaming the forwarder, who may be innocent */
  | { verdict: 'ignore', reason: string, kind: WireError['reason'] | 'full', body?: RequestBody }

export class RequestGate {
  constructor (private readonly replay = new ReplayCache()) {}

  check (bytes: Uint8Array, now = Date.now()): GateVerdict {
    let body: RequestBody
    try {
      body = openRequest(bytes, now)
    } catch (err) {
      if (!(err instanceof WireError)) return { verdict: 'reject', reason: `undecodable request: ${String(err)}`, kind: 'format' }
      const blameSender = err.reason === 'format' || err.reason === 'signature' || err.reason === 'size'
      return blameSender
        ? { verdict: 'reject', reason: err.message, kind: err.reason }
        : { verdict: 'ignore', reason: err.message, kind: err.reason }
    }
    switch (this.replay.remember(body.id, requestValidUntil(body), now)) {
      case 'fresh': return { verdict: 'accept', body }
      case 'replay': return { verdict: 'ignore', reason: `request ${body.id} was already seen (replay)`, kind: 'replay', body }
      case 'full': return { verdict: 'ignore', reason: 'too many live requests to remember; refusing new ones until some expire', kind: 'full', body }
    }
  }
}
