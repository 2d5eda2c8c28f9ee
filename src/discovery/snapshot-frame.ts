// The frames of a directory snapshot (membership.ts serveSnapshot), built from each
// registration's JSON made once. A bootstrap answers every joining daemon with its whole
// directory: in a 1000-daemon join it serialized and encoded the same registrations a thousand
// times over, 8 % of its CPU in a profile (2026-11-28), besides the garbage for a collector that
// took 32 %. A registration never changes once parsed or signed (a change is a new object,
// wire/registration.ts), so its bytes are kept with it and dropped with it.
import type { Registration } from '../wire/registration.js'
import type { SnapshotEntry } from './directory.js'

const encoder = new TextEncoder()
const registrationBytes = new WeakMap<Registration, Uint8Array>()

const OPEN = encoder.encode('[')
const CLOSE = encoder.encode(']')
const COMMA = encoder.encode(',')
const ENTRY_OPEN = encoder.encode('{"registration":')
const ENTRY_CLOSE = encoder.encode('}')

function bytesOf (registration: Registration): Uint8Array {
  let bytes = registrationBytes.get(registration)
  if (bytes === undefined) {
    bytes = encoder.encode(JSON.stringify(registration))
    registrationBytes.set(registration, bytes)
  }
  return bytes
}

/** The same bytes as JSON.stringify(entries), UTF-8 encoded. */
export function snapshotFrame (entries: SnapshotEntry[]): Uint8Array {
  const parts: Uint8Array[] = [OPEN]
  entries.forEach((entry, index) => {
    if (index > 0) parts.push(COMMA)
    parts.push(ENTRY_OPEN, bytesOf(entry.registration))
    parts.push(entry.ageMs === undefined ? ENTRY_CLOSE : encoder.encode(`,"ageMs":${JSON.stringify(entry.ageMs)}}`))
  })
  parts.push(CLOSE)
  return Buffer.concat(parts)
}
