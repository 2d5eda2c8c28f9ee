// The first-hop check every mesh member applies to a request before it is delivered or
// forwarded: size, format, signature, freshness, collective, caller, replay. Anything that fails
// is not forwarded. The checks run cheapest and most selective first, so that a stranger's
// input costs a size check, a parse and one signature check before it is dropped: a caller this
// peer does not authorize never takes a place in the replay cache and is never forwarded.
import { openRequest, requestValidUntil, type RequestBody } from '../wire/request.js'
import { WireError } from '../wire/errors.js'
import { ReplayCache } from './replay.js'

export type GateVerdict =
  | { verdict: 'accept', body: RequestBody }
  /**
   * Well signed and fresh, but the caller is not authorized here: not forwarded and not
   * remembered; a node may answer it with a refusal, over a connection that already exists.
   */
  | { verdict: 'stranger', body: RequestBody, reason: string }
  /** forged, tampered, undecodable or for another collective: the sender is at fault (gossipsub penalises it) */
  | { verdict: 'reject', reason: string, kind: WireError['reason'] | 'collective', body?: RequestBody, id?: string }
  /** expired, from the future or replayed: dropped without blaming the forwarder, who may be innocent */
  | { verdict: 'ignore', reason: string, kind: WireError['reason'] | 'full', body?: RequestBody, id?: string }

export interface RequestGateOptions {
  collective: string
  /**
   * Whether this peer authorizes the caller key. Undefined: it cannot tell (a lab-mode
   * bootstrap without authorized_keys), so every well-signed request is passed on.
   */
  isAuthorized?: (callerKey: string) => boolean
  replay?: ReplayCache
}

export class RequestGate {
  private readonly replay: ReplayCache

  constructor (private readonly options: RequestGateOptions) {
    this.replay = options.replay ?? new ReplayCache()
  }

  /** Request ids held for replay protection (only authorized callers' requests take a place). */
  get remembered (): number {
    return this.replay.size
  }

  check (bytes: Uint8Array, now = Date.now()): GateVerdict {
    let body: RequestBody
    try {
      body = openRequest(bytes, now)
    } catch (err) {
      if (!(err instanceof WireError)) return { verdict: 'reject', reason: `undecodable request: ${String(err)}`, kind: 'format' }
      const blameSender = err.reason === 'format' || err.reason === 'signature' || err.reason === 'size'
      return blameSender
        ? { verdict: 'reject', reason: err.message, kind: err.reason, id: err.requestId }
        : { verdict: 'ignore', reason: err.message, kind: err.reason, id: err.requestId }
    }
    if (body.collective !== this.options.collective) {
      return { verdict: 'reject', reason: `request is signed for collective '${body.collective}', not '${this.options.collective}'`, kind: 'collective', body }
    }
    if (this.options.isAuthorized !== undefined && !this.options.isAuthorized(body.caller)) {
      return { verdict: 'stranger', body, reason: 'caller key is not in authorized_keys here' }
    }
    switch (this.replay.remember(body.id, requestValidUntil(body), now, body.caller)) {
      case 'fresh': return { verdict: 'accept', body }
      case 'replay': return { verdict: 'ignore', reason: `request ${body.id} was already seen (replay)`, kind: 'replay', body }
      case 'full': return { verdict: 'ignore', reason: 'too many live requests from this caller to remember; refusing new ones until some expire', kind: 'full', body }
    }
  }
}
