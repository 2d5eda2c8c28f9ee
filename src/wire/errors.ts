/** A message that cannot be accepted; the message says why in one line (logged, never thrown past a handler). */
export class WireError extends Error {
  /**
   * requestId: the id a request's body claims, when the body could be read (signature, expired,
   * future), so a refusal can be traced to the request in the logs. Unauthenticated when the
   * signature did not verify.
   */
  constructor (readonly reason: 'size' | 'format' | 'signature' | 'expired' | 'future' | 'replay', message: string, readonly requestId?: string) {
    super(message)
    this.name = 'WireError'
  }
}
