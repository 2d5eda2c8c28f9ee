// Printing a filter back in the command-line language (formatFilter: what `troupe` shows as
// the filter it sent); parsing what is printed gives the same filter back.
import assert from 'node:assert/strict'
import { buildFilter, formatExpr, formatFilter, formatFactTest, formatDataTest, formatMatcher, parseCompound, parseFactTest, type Expr } from '../../src/discovery/filter/index.js'

/** Prints the fact test `x OP value` and checks that the parser reads it back. */
function printed (value: string, op: '=' | '!=' | '<' | '>=' | '=~' | '!~' = '='): string {
  const text = formatFactTest({ fact: 'x', op, value })
  assert.deepEqual(parseFactTest(text), { fact: 'x', op, value }, text)
  assert.deepEqual(parseCompound(text), { kind: 'fact', test: { fact: 'x', op, value } }, text)
  return text
}

describe('filters printed back (format)', () => {
  it('plain values stay plain', () => {
    assert.equal(printed('web'), 'x=web')
    assert.equal(printed('a/b'), 'x=a/b', 'a slash after the first character')
    assert.equal(printed('a!b=c<d>e~f'), 'x=a!b=c<d>e~f', 'operator characters after the first')
    assert.equal(printed('-1', '<'), 'x<-1')
    assert.equal(printed('12', '>='), 'x>=12')
    assert.equal(printed('web', '!='), 'x!=web')
  })

  it('values that could be misread are quoted, with quotes and backslashes escaped', () => {
    assert.equal(printed(''), 'x=""')
    assert.equal(printed('a b'), 'x="a b"')
    assert.equal(printed('a\tb'), 'x="a\tb"')
    assert.equal(printed(' a'), 'x=" a"')
    assert.equal(printed('(a'), 'x="(a"')
    assert.equal(printed('a)'), 'x="a)"')
    assert.equal(printed('a(b'), 'x="a(b"')
    assert.equal(printed('/a/'), 'x="/a/"', 'not a regex')
    for (const first of ['!', '=', '<', '>', '~']) assert.equal(printed(`${first}a`), `x="${first}a"`, first)
    assert.equal(printed('say "hi"'), 'x="say \\"hi\\""')
    assert.equal(printed('"'), 'x="\\""')
    assert.equal(printed("it's"), 'x="it\\\'s"')
    assert.equal(printed("a'"), 'x="a\\\'"')
    assert.equal(printed('C:\\dir x'), 'x="C:\\\\dir x"')
  })

  it('regex comparisons print between slashes', () => {
    assert.equal(printed('^we b$', '=~'), 'x=~/^we b$/')
    assert.equal(printed('^db', '!~'), 'x!~/^db/')
    assert.equal(formatMatcher({ regex: '^role::' }), '/^role::/')
    assert.equal(formatMatcher({ exact: 'role::web' }), 'role::web')
  })

  it('data statements', () => {
    assert.equal(formatDataTest({ source: 'fstat', param: '/etc/motd' }), "fstat('/etc/motd')")
    assert.equal(formatDataTest({ source: 'fstat', param: '/etc/motd', field: 'size', op: '>', value: '0' }), "fstat('/etc/motd').size>0")
    assert.equal(formatDataTest({ source: 'resource', param: "File[/it's]", field: 'managed' }), "resource('File[/it\\'s]').managed")
    assert.equal(formatDataTest({ source: 'puppet', param: '', field: 'enabled', op: '=', value: 'false' }), 'puppet().enabled=false')
    assert.equal(formatDataTest({ source: 'fact', param: '' }), "fact('')", 'only puppet() takes no parameter')
    assert.equal(formatDataTest({ source: 'puppet', param: 'x' }), "puppet('x')")
    assert.equal(formatDataTest({ source: 'fact', param: 'os.family', op: '=~', value: '^Deb' }), "fact('os.family')=~/^Deb/")
    assert.equal(formatDataTest({ source: 'fstat', param: '/x', op: '=' }), "fstat('/x')", 'an operator without a value is not printed')
    assert.equal(formatDataTest({ source: 'fstat', param: '/x', value: '1' }), "fstat('/x')", 'a value without an operator is not printed')
    for (const text of ["fstat('/etc/motd').size>0", "resource('File[/it\\'s]').managed", 'puppet().enabled=false', "fact('os.family')=~/^Deb/", "agent('puppet')"]) {
      assert.equal(formatExpr(parseCompound(text)), text)
    }
  })

  it('and, or and not, with the parentheses that keep their grouping', () => {
    const expr: Expr = {
      kind: 'or',
      left: { kind: 'and', left: { kind: 'fact', test: { fact: 'role', op: '=', value: 'web' } }, right: { kind: 'class', match: { exact: 'role::web' } } },
      right: { kind: 'not', expr: { kind: 'data', test: { source: 'agent', param: 'puppet' } } }
    }
    assert.equal(formatExpr(expr), "((role=web and role::web) or not agent('puppet'))")
    assert.deepEqual(parseCompound(formatExpr(expr)), expr)
    assert.equal(formatExpr(parseCompound('a=1 and (b=2 or not c=3)')), '(a=1 and (b=2 or not c=3))')
  })

  it('a whole filter as the flags that give it', () => {
    const flags = { facts: ['role=web', 'os.family=~/^Deb/'], classes: ['/^profile::/'], identities: ['web01', '/^db/'], agents: ['puppet'], select: "fstat('/etc/motd').size>0 or env=prod" }
    assert.equal(formatFilter(buildFilter(flags)), "-F role=web -F os.family=~/^Deb/ -C /^profile::/ -I web01 -I /^db/ -A puppet -S '(fstat('/etc/motd').size>0 or env=prod)'")
    assert.equal(formatFilter(buildFilter({})), '')
    assert.equal(formatFilter(buildFilter({ identities: ['web01'] })), '-I web01')
    assert.equal(formatFilter(buildFilter({ select: 'role="a b"' })), '-S \'role="a b"\'')
  })
})
