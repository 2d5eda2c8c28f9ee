// Canonical JSON: object keys sorted, no whitespace. The signature covers exactly the bytes
// sent, so canonical form matters only for reproducibility (tests, documentation), never for
// verification: receivers verify the bytes they received, then parse them.

export function canonicalJson (value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties: a key named "__proto__" (JSON.parse makes one) stays a key.
    return Object.fromEntries(Object.keys(value).sort().map(key => [key, sortKeys((value as Record<string, unknown>)[key])]))
  }
  return value
}

import { WireError } from './errors.js'
import { concat } from 'uint8arrays/concat'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function jsonBytes (value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value))
}

/** Deeper JSON than any troupe message needs; facter's facts nest about 6 deep. */
export const MAX_JSON_DEPTH = 64

/**
 * Parses UTF-8 JSON from the network; throws on anything else. The nesting depth is checked on
 * the raw bytes first, in one linear pass: JSON.parse and every schema or walk after it recurse,
 * and a message nested 30,000 deep (a few tens of KiB) would overflow the stack wherever it is
 * later serialised or compared.
 */
export function parseJsonBytes (bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH): unknown {
  const depth = jsonDepth(bytes)
  if (depth > maxDepth) throw new WireError('format', `JSON nested deeper than ${maxDepth} levels`)
  try {
    return JSON.parse(decoder.decode(bytes))
  } catch {
    throw new WireError('format', 'not UTF-8 JSON')
  }
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACKET = 0x5b
const OPEN_BRACE = 0x7b
const CLOSE_BRACKET = 0x5d
const CLOSE_BRACE = 0x7d

/** The deepest nesting of arrays and objects, stopping as soon as it passes MAX_JSON_DEPTH * 2. */
function jsonDepth (bytes: Uint8Array): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]
    if (inString) {
      if (byte === BACKSLASH) i++
      else if (byte === QUOTE) inString = false
    } else if (byte === QUOTE) {
      inString = true
    } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      depth++
      if (depth > deepest) deepest = depth
      if (deepest > MAX_JSON_DEPTH * 2) return deepest
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--
    }
  }
  return deepest
}

/** What a signature covers: a domain naming the kind of message, then the message's canonical JSON. */
export function domainBytes (domain: Uint8Array, message: object): Uint8Array {
  return concat([domain, jsonBytes(message)])
}
