/** A message that cannot be accepted; the message says why in one line (logged, never thrown past a handler). */
export class WireError extends Error {
  constructor (readonly reason: 'size' | 'format' | 'signature' | 'expired' | 'future' | 'replay', message: string) {
    super(message)
    this.name = 'WireError'
  }
}
