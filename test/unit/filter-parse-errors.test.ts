// What an operator reads when a filter flag cannot be understood: the exact reason, and the
// character it points at (FilterParseError: "<reason> at character N of '<input>'").
import assert from 'node:assert/strict'
import { parseCompound, parseFactTest, parseMatcher, parseWith, dataSourceNames, FilterParseError } from '../../src/discovery/filter/index.js'

/** The message a parse error gives, and that it is a FilterParseError. */
function message (parse: () => unknown): string {
  try {
    parse()
  } catch (err) {
    assert.ok(err instanceof FilterParseError, `not a FilterParseError: ${String(err)}`)
    return err.message
  }
  assert.fail('accepted')
}

const OPERATORS = '= == != < > <= >= => =< =~ !~'

describe('filter parse errors: the reason and the place', () => {
  it('-F fact tests', () => {
    const fact = (text: string): string => message(() => parseFactTest(text))
    assert.equal(fact(''), `expected fact=value (operators ${OPERATORS}), got '' at character 1 of ''`)
    assert.equal(fact('role'), `expected fact=value (operators ${OPERATORS}), got 'role' at character 1 of 'role'`)
    assert.equal(fact('ro$le=web'), "'ro$le' is not a fact name at character 1 of 'ro$le=web'")
    assert.equal(fact('role='), "missing value after '=' at character 6 of 'role='")
    assert.equal(fact('role =  '), "missing value after '=' at character 9 of 'role =  '")
    assert.equal(fact('role= "web" x'), 'unexpected text after the quoted value at character 12 of \'role= "web" x\'')
    assert.equal(fact('role="web'), 'unterminated quoted value at character 6 of \'role="web\'')
    assert.equal(fact('role=!web'), `unknown operator '=!' (operators: ${OPERATORS}; quote a value that starts with !) at character 5 of 'role=!web'`)
    assert.equal(fact('role <>web'), `unknown operator '<>' (operators: ${OPERATORS}; quote a value that starts with >) at character 6 of 'role <>web'`)
    assert.equal(fact('role<=/x/'), "a /regex/ compares with = or =~ (or != and !~), not <= at character 7 of 'role<=/x/'")
    assert.equal(fact('role>/x/'), "a /regex/ compares with = or =~ (or != and !~), not > at character 6 of 'role>/x/'")
    assert.match(fact('role=~/(/'), /^invalid regex \/\(\/ \(.+\) at character 7 of 'role=~\/\(\/'$/)
    assert.match(fact('role=/[/'), /^invalid regex \/\[\/ \(.+\) at character 6 of 'role=\/\[\/'$/)
    const long = 'a'.repeat(1025)
    assert.equal(fact(`role=~${long}`), `regex longer than 1024 characters at character 7 of 'role=~${long}'`)
    assert.deepEqual(parseFactTest(`role=~${'a'.repeat(1024)}`), { fact: 'role', op: '=~', value: 'a'.repeat(1024) })
  })

  it('-C, -I, -A names and -W', () => {
    assert.equal(message(() => parseMatcher('')), "empty name at character 1 of ''")
    assert.match(message(() => parseMatcher('/(/')), /^invalid regex \/\(\/ \(.+\) at character 1 of '\/\(\/'$/)
    const long = `/${'a'.repeat(1025)}/`
    assert.equal(message(() => parseMatcher(long)), `regex longer than 1024 characters at character 1 of '${long}'`)
    assert.equal(message(() => parseWith('role::web  role=')), "missing value after '=' at character 17 of 'role::web  role='")
  })

  it('-S: the expression', () => {
    const select = (text: string): string => message(() => parseCompound(text))
    assert.equal(select(''), "empty expression at character 1 of ''")
    assert.equal(select('   '), "empty expression at character 4 of '   '")
    const long = 'x'.repeat(4097)
    assert.equal(select(long), `expression longer than 4096 characters at character 1 of '${long}'`)
    assert.deepEqual(parseCompound('x'.repeat(4096)), { kind: 'class', match: { exact: 'x'.repeat(4096) } })
    assert.equal(select('a and'), "expression ends too early at character 6 of 'a and'")
    assert.equal(select('a and )'), "unexpected ')' at character 7 of 'a and )'")
    assert.equal(select('(a'), "missing ')' at character 3 of '(a'")
    assert.equal(select('a )'), "unexpected ')' at character 3 of 'a )'")
    assert.equal(select('a b'), "unexpected 'b' at character 3 of 'a b'")
    assert.equal(select('!=x'), "'!=' needs a fact name before it at character 1 of '!=x'")
    assert.equal(select('a or !~x'), "'!~' needs a fact name before it at character 6 of 'a or !~x'")
    assert.equal(select('=x'), "unexpected '=' at character 1 of '=x'")
    assert.equal(select('role="web"x'), 'unexpected \'x\' after \'role="web"\' at character 11 of \'role="web"x\'')
    assert.equal(select("role='a\\'b'c"), "unexpected 'c' after 'role='a\\'b'' at character 12 of 'role='a\\'b'c'")
    assert.equal(select('role <'), "missing value after '<' at character 7 of 'role <'")
    assert.equal(select('role ~x'), "expected an operator after 'role' at character 6 of 'role ~x'")
    assert.equal(select('a$b'), "'a$b' is neither a class name nor a fact comparison at character 1 of 'a$b'")
    assert.equal(select('a$b=1'), "'a$b' is not a fact name at character 1 of 'a$b=1'")
    assert.equal(select('/unterminated'), "unterminated /regex/ at character 1 of '/unterminated'")
    for (const text of ['/re/=x', '/re/ =~ x']) {
      assert.equal(select(text), `a /regex/ cannot stand for a fact name (MCollective refuses '/re/=...' too): to match a fact's value write fact=~/re/ at character 1 of '${text}'`)
    }
  })

  it('-S: nesting is limited to 32 levels of not and of parentheses', () => {
    const nots = (count: number): string => 'not '.repeat(count) + 'a'
    const parens = (count: number): string => '('.repeat(count) + 'a' + ')'.repeat(count)
    assert.doesNotThrow(() => parseCompound(nots(32)))
    assert.doesNotThrow(() => parseCompound(parens(32)))
    assert.equal(message(() => parseCompound(nots(33))), `expression nested too deeply at character 129 of '${nots(33)}'`)
    assert.equal(message(() => parseCompound(parens(33))), `expression nested too deeply at character 33 of '${parens(33)}'`)
    assert.doesNotThrow(() => parseCompound(Array.from({ length: 40 }, () => parens(16)).join(' and ')), 'the depth is of nesting, not of the whole expression')
    assert.doesNotThrow(() => parseCompound(Array.from({ length: 40 }, () => nots(16)).join(' or ')))
  })

  it('-S: data statements', () => {
    const select = (text: string): string => message(() => parseCompound(text))
    assert.equal(select("Fstat('/x')"), "'Fstat' is not a data source name at character 1 of 'Fstat('/x')'")
    assert.equal(select("nosuch('/x')"), `unknown data source 'nosuch' (known: ${dataSourceNames().join(', ')}) at character 1 of 'nosuch('/x')'`)
    // The built-in sources at least (other tests in the same process may have registered more).
    assert.match(select("nosuch('/x')"), /\(known: agent, .*\bfact, .*\bfstat, .*\bpuppet, resource\b.*\)/)
    assert.equal(select("fstat('/x', '/y')"), "fstat() takes one parameter at character 11 of 'fstat('/x', '/y')'")
    assert.equal(select('fstat(/x)'), "fstat(...) takes its parameter in quotes: fstat('...') at character 7 of 'fstat(/x)'")
    assert.equal(select("fstat('/x'"), "missing ')' after fstat( at character 11 of 'fstat('/x''")
    assert.equal(select("fstat('/x)"), "unterminated quoted value at character 7 of 'fstat('/x)'")
    assert.equal(select('fstat()'), "fstat() needs a parameter: fstat('...') at character 1 of 'fstat()'")
    assert.equal(select("puppet('x')"), "puppet() takes no parameter at character 1 of 'puppet('x')'")
    assert.equal(select("fstat('/x')."), "expected a field name after fstat(...). at character 13 of 'fstat('/x').'")
    assert.equal(select("fstat('/x').a.b"), "fstat(...) has one level of fields: fstat(...).a at character 14 of 'fstat('/x').a.b'")
    assert.equal(select("fstat('/x').nosuch"), "fstat() has no field 'nosuch' (fields: name, output, present, type, size, mode, uid, gid, md5, mtime, ctime, atime, mtime_seconds, ctime_seconds, atime_seconds, mtime_age, ctime_age, atime_age) at character 13 of 'fstat('/x').nosuch'")
    assert.equal(select("resource('File[/x]').title"), "resource() has no field 'title' (fields: managed, count, age) at character 22 of 'resource('File[/x]').title'")
    assert.equal(select("fact('role').name"), "fact() has no field 'name' (fields: value) at character 14 of 'fact('role').name'")
    assert.equal(select("fstat('/x') >"), "missing value after '>' at character 14 of 'fstat('/x') >'")
    assert.equal(select("fstat('/x') ~1"), "expected an operator after fstat(...) at character 13 of 'fstat('/x') ~1'")
    assert.equal(select("fstat('/x').size=!1"), `unknown operator '=!' (operators: ${OPERATORS}; quote a value that starts with !) at character 17 of 'fstat('/x').size=!1'`)
    assert.equal(select("fstat('/x').size<=/1/"), "a /regex/ compares with = or =~ (or != and !~), not <= at character 19 of 'fstat('/x').size<=/1/'")
    assert.equal(select("role=web and fstat('/x').size>'1"), "unterminated quoted value at character 31 of 'role=web and fstat('/x').size>'1'")
  })
})
