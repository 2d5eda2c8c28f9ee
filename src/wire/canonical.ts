// Canonical JSON: object keys sorted, no whitespace. The signature covers exactly the bytes
// sent, so canonical form matters only for reproducibility (tests, documentation), never for
// verification: receivers verify the bytes they received, then parse them.

export function canonicalJson (value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key])
    return sorted
  }
  return value
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function jsonBytes (value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value))
}

/** Parses UTF-8 JSON; throws a WireError-friendly message on anything else. */
export function parseJsonBytes (bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes))
}
