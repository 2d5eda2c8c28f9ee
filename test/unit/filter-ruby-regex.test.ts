// Regexes written for MCollective (Ruby) in filters: the translation into JavaScript
// (translateRubyRegex, called directly: compileRegex caches compiled patterns), checked by what
// the translated pattern matches, and the exact advice for what cannot be translated.
import assert from 'node:assert/strict'
import { translateRubyRegex, RegexDialectError } from '../../src/discovery/filter/ruby-regex.js'

/** Does the Ruby pattern, translated, match the text? */
function matches (pattern: string, text: string): boolean {
  const { source, flags } = translateRubyRegex(pattern)
  return new RegExp(source, flags).test(text)
}

function refusal (pattern: string): string {
  try {
    translateRubyRegex(pattern)
  } catch (err) {
    assert.ok(err instanceof RegexDialectError, String(err))
    return err.message
  }
  assert.fail(`accepted /${pattern}/`)
}

describe('Ruby regexes in filters', () => {
  it('leading inline options: i, m (dotall), both in either order; x is refused', () => {
    assert.deepEqual(translateRubyRegex('(?i)web'), { source: 'web', flags: 'i' })
    assert.deepEqual(translateRubyRegex('(?m)a.b'), { source: 'a.b', flags: 's' })
    assert.deepEqual(translateRubyRegex('(?mi)a.b'), { source: 'a.b', flags: 'is' })
    assert.deepEqual(translateRubyRegex('(?im)a.b'), { source: 'a.b', flags: 'is' })
    assert.equal(matches('(?mi)a.b', 'A\nB'), true)
    assert.equal(matches('(?m)a.b', 'A\nB'), false)
    assert.equal(matches('a.b', 'a\nb'), false)
    assert.deepEqual(translateRubyRegex('web'), { source: 'web', flags: '' })
    const extended = "Ruby's (?x) (extended, comments and free spacing) is not supported: remove the spaces and comments"
    assert.equal(refusal('(?x)a b'), extended)
    assert.equal(refusal('(?ix)a b'), extended)
  })

  it('inline options anywhere else are refused (they would mean something else)', () => {
    const advice = 'inline options such as (?i) work only at the very start of the pattern: write /(?i)web/, not /a(?i)b/'
    for (const pattern of ['a(?i)b', 'a(?mi)b', 'a(?-i:b)', 'a(?i:b)', '(?i)a(?m)b']) assert.equal(refusal(pattern), advice, pattern)
    assert.equal(matches('(?:ab)+c', 'ababc'), true, 'a non-capturing group is not an option')
    assert.equal(matches('a(?=b)', 'ab'), true)
    assert.equal(matches('a(?!b)', 'ab'), false)
    assert.equal(matches('a\\(?i', 'a(?i'), false, 'an escaped parenthesis is no group')
    assert.equal(matches('^a\\(\\?i\\)$', 'a(?i)'), true)
  })

  it('anchors: \\A start, \\z end, \\Z end or before a final newline', () => {
    assert.equal(matches('\\Aweb', 'web01'), true)
    assert.equal(matches('\\Aweb', 'aweb'), false)
    assert.equal(matches('web\\z', 'web'), true)
    assert.equal(matches('web\\z', 'web\n'), false)
    assert.equal(matches('web\\Z', 'web\n'), true)
    assert.equal(matches('web\\Z', 'web'), true)
    assert.equal(matches('web\\Z', 'web\nx'), false)
    assert.equal(matches('[a]\\z', 'xa'), true, 'after a class closes, \\z is an anchor again')
    assert.equal(matches('[a]\\z', 'ax'), false)
  })

  it('\\h and \\H: hex digits, inside and outside a class', () => {
    assert.equal(matches('^\\h+$', 'deadBEEF09'), true)
    assert.equal(matches('^\\h+$', 'dead-beef'), false)
    assert.equal(matches('^\\H+$', 'xyz-'), true)
    assert.equal(matches('^\\H+$', 'xy1'), false)
    assert.equal(matches('^[\\h-]+$', 'ab-12'), true)
    assert.equal(matches('^[\\h-]+$', 'ab-g'), false)
    assert.equal(matches('^\\d+\\.\\d+$', '1.5'), true, 'other escapes are kept')
    assert.equal(matches('^\\d+\\.\\d+$', '1x5'), false)
  })

  it('escapes with no JavaScript meaning are refused, inside a class too', () => {
    for (const letter of ['G', 'K']) assert.equal(refusal(`a\\${letter}b`), `Ruby's \\${letter} has no JavaScript equivalent here: rewrite the pattern without it`)
    for (const letter of ['A', 'z', 'Z', 'H']) assert.equal(refusal(`[a\\${letter}]`), `Ruby's \\${letter} has no JavaScript equivalent here: rewrite the pattern without it`)
  })

  it('POSIX bracket classes', () => {
    assert.equal(matches('^[[:digit:]]+$', '0123'), true)
    assert.equal(matches('^[[:digit:]]+$', '01a'), false)
    assert.equal(matches('^[[:upper:][:digit:]]+$', 'AB12'), true, 'two classes in one bracket')
    assert.equal(matches('^[[:upper:][:digit:]]+$', 'Ab12'), false)
    assert.equal(matches('^[^[:space:]]+$', 'a-b'), true)
    assert.equal(matches('^[^[:space:]]+$', 'a b'), false)
    assert.equal(matches('^[[:xdigit:]]+$', 'fF0'), true)
    assert.equal(matches('^[[:punct:]]+$', '!/@[`{~'), true)
    assert.equal(matches('^[[:punct:]]+$', 'a'), false)
    assert.equal(matches('^[x[:lower:]]+$', 'abx'), true)
    assert.equal(matches('^[[:alpha:]]-[[:alnum:]_]+$', 'a-b_1'), true, 'text after a class is read normally')
    assert.equal(refusal('[[:^alpha:]]'), "POSIX class '[:^alpha:]' is not supported: write the characters as a range, e.g. [a-zA-Z0-9]")
    assert.equal(refusal('[[:nosuch:]]'), "POSIX class '[:nosuch:]' is not supported: write the characters as a range, e.g. [a-zA-Z0-9]")
    assert.equal(refusal('[[:alpha]'), "POSIX class '[::]' is not supported: write the characters as a range, e.g. [a-zA-Z0-9]")
    assert.equal(matches('^[[a]+$', '[a['), true, "a '[' inside a class that starts no POSIX class is a character")
  })

  it("a ']' right after '[' or '[^' is a character, as in Ruby", () => {
    assert.equal(matches('^[]a]+$', ']a]'), true)
    assert.equal(matches('^[]a]+$', 'b'), false)
    assert.equal(matches('^[^]a]+$', 'bc'), true)
    assert.equal(matches('^[^]a]+$', 'b]'), false)
    assert.equal(matches('^[^a]+$', 'bc'), true)
    assert.equal(matches('^[^a]+$', 'ba'), false)
  })

  it("Ruby's #{} interpolation is refused; a plain # is a character", () => {
    assert.equal(refusal('a#{x}'), "Ruby's #{...} interpolation is not supported: write the text itself")
    assert.equal(matches('^a#x$', 'a#x'), true)
    assert.equal(matches('^a#$', 'a#'), true)
  })
})
