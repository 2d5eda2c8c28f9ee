/** A filter the operator wrote that cannot be understood; the message points at the character. */
export class FilterParseError extends Error {
  constructor (reason: string, readonly position: number, readonly input: string) {
    super(`${reason} at character ${position + 1} of '${input}'`)
    this.name = 'FilterParseError'
  }
}
