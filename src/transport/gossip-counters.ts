// Gossipsub's own counters, kept as running totals so a daemon can say what the mesh costs it
// (rpcutil daemon_stats) and the scale benchmark can count messages per node. Gossipsub reports
// into a prom-client-like register; this one keeps only the totals named below, and splits the
// per-topic ones into requests (agent topics), registrations (the registry topic) and beats.
import type { MetricsRegister } from '@chainsafe/libp2p-gossipsub/metrics'

const TOTALS = {
  gossipsub_rpc_recv_message_total: 'gossip_messages_in',
  gossipsub_rpc_sent_message_total: 'gossip_messages_out',
  gossipsub_rpc_recv_bytes_total: 'gossip_bytes_in',
  gossipsub_rpc_sent_bytes_total: 'gossip_bytes_out',
  gossipsub_pre_validation_duplicate_total: 'gossip_duplicates_in',
  gossipsub_rpc_recv_control_total: 'gossip_control_in',
  gossipsub_rpc_sent_control_total: 'gossip_control_out'
} as const

/** Per-topic counters: copies of messages received (duplicates included), and copies sent on (forwarded or published). */
const BY_TOPIC = {
  gossipsub_msg_received_prevalidation_total: 'in',
  gossipsub_msg_forward_peers_total: 'out',
  gossipsub_msg_publish_peers_total: 'out'
} as const

type TotalName = (typeof TOTALS)[keyof typeof TOTALS]
type TopicName = `gossip_${'requests' | 'registry' | 'beats'}_${'in' | 'out'}`
export type GossipTotals = Record<TotalName | TopicName, number>

export class GossipCounters {
  private readonly totals = Object.fromEntries([
    ...Object.values(TOTALS),
    'gossip_requests_in', 'gossip_requests_out', 'gossip_registry_in', 'gossip_registry_out', 'gossip_beats_in', 'gossip_beats_out'
  ].map(name => [name, 0])) as GossipTotals

  snapshot (): GossipTotals {
    return { ...this.totals }
  }

  /** The register to hand to gossipsub (its `metricsRegister` option). */
  register (): MetricsRegister {
    const noop = (): void => {}
    const totals = this.totals
    return {
      gauge: (config: { name: string }) => {
        const total = (TOTALS as Record<string, TotalName>)[config.name]
        const direction = (BY_TOPIC as Record<string, 'in' | 'out'>)[config.name]
        // Called as inc(value) or inc(labels, value).
        let inc: (first?: unknown, second?: unknown) => void = noop
        if (total !== undefined) inc = (first, second) => { totals[total] += amount(first, second) }
        if (direction !== undefined) {
          inc = (first, second) => {
            const topic = String((first as { topic?: unknown } | undefined)?.topic ?? '')
            const kind = topic.endsWith('/registry') ? 'registry' : topic.endsWith('/beat') ? 'beats' : topic.includes('/agent/') ? 'requests' : undefined
            if (kind !== undefined) totals[`gossip_${kind}_${direction}`] += amount(first, second)
          }
        }
        return { inc, set: noop, addCollect: noop }
      },
      histogram: () => ({ startTimer: () => noop, observe: noop, reset: noop }),
      avgMinMax: () => ({ set: noop })
    } as unknown as MetricsRegister
  }
}

function amount (first: unknown, second: unknown): number {
  return typeof first === 'number' ? first : typeof second === 'number' ? second : 1
}
