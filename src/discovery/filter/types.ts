// The typed filter: built once by the requester from its flags, carried inside the
// signed request, and evaluated again by every node on its own facts (the node decides).
// Its JSON shape is part of the wire format (docs/protocol.md).

export type FactOperator = '=' | '!=' | '<' | '>' | '<=' | '>=' | '=~'

/** `-F fact=value`: compare one (possibly dotted, nested) fact. For `=~`, value is a regex source. */
export interface FactTest {
  fact: string
  op: FactOperator
  value: string
}

/** Exact string, or a regular expression source (written `/re/` on the command line). */
export type Matcher = { exact: string } | { regex: string }

/** `-S` compound expression over fact comparisons and class names. */
export type Expr =
  | { kind: 'fact', test: FactTest }
  | { kind: 'class', match: Matcher }
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
}

export function emptyFilter (): Filter {
  return { facts: [], classes: [], identities: [], agents: [] }
}
