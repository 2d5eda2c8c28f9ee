// Operators bring regexes written for MCollective, i.e. for Ruby. Most of Ruby's syntax means
// the same in JavaScript; the idioms that do not are translated here, and the ones that would
// silently mean something else in JavaScript are refused with a message saying how to write
// them. Nothing here ever turns a pattern into one that matches different text without saying.
//
//   \A  -> ^          (JavaScript without the m flag: start of input, as Ruby's \A)
//   \z  -> $          (end of input, as Ruby's \z)
//   \Z  -> (?=\n?$)   (end of input or before a final newline)
//   \h  -> [0-9a-fA-F], \H -> [^0-9a-fA-F]  (JavaScript would read \h as the letter h)
//   (?i) at the very start -> the i flag;  (?m) at the very start -> the s flag (Ruby's m is
//   JavaScript's dotall); (?mi), (?im) likewise
//   [[:alpha:]] and the other POSIX bracket classes -> their ASCII ranges
// Refused: (?i) or (?m) anywhere but the start, (?x), \G, \K, and Ruby's #{...} interpolation.

export class RegexDialectError extends Error {}

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\r\\n\\v\\f',
  xdigit: '0-9a-fA-F',
  word: '\\w',
  punct: '!-\\/:-@\\[-`{-~',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e'
}

export interface TranslatedRegex {
  source: string
  flags: string
}

/** Translates Ruby idioms; throws RegexDialectError with advice for the ones it cannot. */
export function translateRubyRegex (pattern: string): TranslatedRegex {
  let flags = ''
  let rest = pattern
  const leading = /^\(\?([mix]+)\)/.exec(rest)
  if (leading !== null) {
    const letters = leading[1] ?? ''
    if (letters.includes('x')) throw new RegexDialectError("Ruby's (?x) (extended, comments and free spacing) is not supported: remove the spaces and comments")
    if (letters.includes('i')) flags += 'i'
    if (letters.includes('m')) flags += 's'
    rest = rest.slice(leading[0].length)
  }
  let out = ''
  let inClass = false
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i] ?? ''
    if (ch === '\\') {
      const next = rest[i + 1] ?? ''
      i++
      if (!inClass && next === 'A') { out += '^'; continue }
      if (!inClass && next === 'z') { out += '$'; continue }
      if (!inClass && next === 'Z') { out += '(?=\\n?$)'; continue }
      if (next === 'h') { out += inClass ? '0-9a-fA-F' : '[0-9a-fA-F]'; continue }
      if (next === 'H' && !inClass) { out += '[^0-9a-fA-F]'; continue }
      if (next === 'G' || next === 'K' || (inClass && (next === 'A' || next === 'z' || next === 'Z' || next === 'H'))) {
        throw new RegexDialectError(`Ruby's \\${next} has no JavaScript equivalent here: rewrite the pattern without it`)
      }
      out += '\\' + next
      continue
    }
    if (inClass) {
      if (ch === '[' && rest[i + 1] === ':') {
        const end = rest.indexOf(':]', i + 2)
        const name = end === -1 ? '' : rest.slice(i + 2, end)
        const negated = name.startsWith('^')
        const range = POSIX_CLASSES[negated ? name.slice(1) : name]
        if (range === undefined || negated) throw new RegexDialectError(`POSIX class '[:${name}:]' is not supported: write the characters as a range, e.g. [a-zA-Z0-9]`)
        out += range
        i = end + 1
        continue
      }
      if (ch === ']') inClass = false
      out += ch
      continue
    }
    if (ch === '[') {
      inClass = true
      out += ch
      // A ']' right after '[' or '[^' is a literal in Ruby; JavaScript reads '[]' as an empty class.
      if (rest[i + 1] === '^') { out += '^'; i++ }
      if (rest[i + 1] === ']') { out += '\\]'; i++ }
      continue
    }
    if (ch === '(' && rest[i + 1] === '?' && /^[mix-]+[):]/.test(rest.slice(i + 2))) {
      throw new RegexDialectError("inline options such as (?i) work only at the very start of the pattern: write /(?i)web/, not /a(?i)b/")
    }
    if (ch === '#' && rest[i + 1] === '{') throw new RegexDialectError("Ruby's #{...} interpolation is not supported: write the text itself")
    out += ch
  }
  return { source: out, flags }
}
