// Whether a filter can be decided from the directory or only by the nodes themselves, in a
// module of its own: the CLI asks before it sends, without loading the evaluator.
import type { Expr, Filter } from './types.js'

/** Does the filter read a data source that only the node itself can evaluate? */
export function needsNodeData (filter: Filter): boolean {
  const walk = (expr: Expr): boolean => {
    switch (expr.kind) {
      case 'data': return expr.test.source !== 'fact' && expr.test.source !== 'agent'
      case 'not': return walk(expr.expr)
      case 'and':
      case 'or': return walk(expr.left) || walk(expr.right)
      default: return false
    }
  }
  return filter.compound !== undefined && walk(filter.compound)
}
