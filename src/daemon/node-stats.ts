// Request counters a daemon reports through rpcutil daemon_stats and inventory (MCollective's names).
export class NodeStats {
  total = 0
  validated = 0
  unvalidated = 0
  passed = 0
  filtered = 0
  refused = 0
  replies = 0
  /** acted on, but the reply reached no connection to the requester before the request expired */
  replies_undelivered = 0
  ttlexpired = 0
  replayed = 0
  /** requests whose filter ran out of its evaluation budget (counted as not matching) */
  filter_budget_exceeded = 0

  toRecord (): Record<string, number> {
    return Object.fromEntries(Object.entries(this).filter((entry): entry is [string, number] => typeof entry[1] === 'number'))
  }
}
