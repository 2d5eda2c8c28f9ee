// Orders identities, fact values and names by code point. String#localeCompare would load ICU's
// collation data on first use: 10 ms of every CLI call, for an order operators do not expect anyway.
export function compareText (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * For the long-running services: every string's localeCompare orders by code point, as
 * compareText does. libp2p's peer store and its helpers sort multiaddrs and protocol names with
 * localeCompare only to keep them in a stable order; ICU's collator behind it holds MiBs of
 * resident memory in every daemon for that. Not for the CLI, which never calls it.
 */
export function useCodePointOrder (): void {
  String.prototype.localeCompare = function (this: string, that: string): number {
    return compareText(String(this), String(that))
  }
}
