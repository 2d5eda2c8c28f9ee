// Orders identities, fact values and names by code point. String#localeCompare would load ICU's
// collation data on first use: 10 ms of every CLI call, for an order operators do not expect anyway.
export function compareText (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
