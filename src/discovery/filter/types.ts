// The typed filter: built once by the requester from its flags, carried inside the
// signed request, and evaluated again by every node on its own facts (the node decides).
// Its JSON shape is part of the wire format (docs/protocol.md).

/** `!~`: no element matches the regex (what MCollective's `!=/re/` means in a data statement). */
export type FactOperator = '=' | '!=' | '<' | '>' | '<=' | '>=' | '=~' | '!~'

export const FACT_OPERATORS: readonly FactOperator[] = ['=', '!=', '<', '>', '<=', '>=', '=~', '!~']

/** `-F fact=value`: compare one (possibly dotted, nested) fact. For `=~` and `!~`, value is a regex source. */
export interface FactTest {
  fact: string
  op: FactOperator
  value: string
}

/** Exact string, or a regular expression source (written `/re/` on the command line). */
export type Matcher = { exact: string } | { regex: string }

/**
 * A data source statement in `-S`, MCollective's data plugins: `fstat("/etc/motd").size>0`,
 * `resource("File[/etc/motd]").managed=true`, `fact("os.family")=Debian`, `agent("puppet")`.
 * Without `field` the source's default field is read; without `op` the statement holds when
 * that value is truthy. Evaluated by each node on itself (src/discovery/filter/data-sources.ts).
 */
export interface DataTest {
  source: string
  param: string
  field?: string
  op?: FactOperator
  value?: string
}

/** `-S` compound expression over fact comparisons, class names and data statements. */
export type Expr =
  | { kind: 'fact', test: FactTest }
  | { kind: 'class', match: Matcher }
  | { kind: 'data', test: DataTest }
  | { kind: 'and', left: Expr, right: Expr }
  | { kind: 'or', left: Expr, right: Expr }
  | { kind: 'not', expr: Expr }

export interface Filter {
  /** all must hold */
  facts: FactTest[]
  /** all must hold */
  classes: Matcher[]
  /** any may hold (as MCollective: several -I select several nodes); empty = any node */
  identities: Matcher[]
  /** all must hold */
  agents: Matcher[]
  /** optional compound expression, and-ed with the rest */
  compound?: Expr
}

/** What a filter is evaluated against: a node's own view, or its directory entry. */
export interface NodeView {
  identity: string
  facts: Record<string, unknown>
  classes: readonly string[]
  agents: readonly string[]
  /**
   * Data sources that read the node itself (fstat, resource): present on the node, absent in
   * the requester's directory, where a data statement is unknown (see evaluate.ts).
   */
  data?: DataLookup
}

/** Reads one data source for one parameter: its fields, or undefined when it has no data. */
export type DataLookup = (source: string, param: string, field?: string) => Record<string, unknown> | undefined

export function emptyFilter (): Filter {
  return { facts: [], classes: [], identities: [], agents: [] }
}
