// Gossipsub's own counters, kept as running totals so a daemon can say what the mesh costs it
// (rpcutil daemon_stats) and the scale benchmark can count messages per node. Gossipsub reports
// into a prom-client-like register; this one keeps only the totals named below.
import type { MetricsRegister } from '@chainsafe/libp2p-gossipsub/metrics'

const KEPT = {
  gossipsub_rpc_recv_message_total: 'gossip_messages_in',
  gossipsub_rpc_sent_message_total: 'gossip_messages_out',
  gossipsub_rpc_recv_bytes_total: 'gossip_bytes_in',
  gossipsub_rpc_sent_bytes_total: 'gossip_bytes_out',
  gossipsub_pre_validation_duplicate_total: 'gossip_duplicates_in',
  gossipsub_rpc_recv_control_total: 'gossip_control_in',
  gossipsub_rpc_sent_control_total: 'gossip_control_out'
} as const

export type GossipTotals = Record<(typeof KEPT)[keyof typeof KEPT], number>

export class GossipCounters {
  private readonly totals = Object.fromEntries(Object.values(KEPT).map(name => [name, 0])) as GossipTotals

  snapshot (): GossipTotals {
    return { ...this.totals }
  }

  /** The register to hand to gossipsub (its `metricsRegister` option). */
  register (): MetricsRegister {
    const noop = (): void => {}
    const totals = this.totals
    return {
      gauge: (config: { name: string }) => {
        const kept = (KEPT as Record<string, keyof GossipTotals>)[config.name]
        // Called with (value) or (labels, value); both count towards one total.
        const inc = kept === undefined
          ? noop
          : (first?: unknown, second?: unknown): void => { totals[kept] += typeof first === 'number' ? first : typeof second === 'number' ? second : 1 }
        return { inc, set: noop, addCollect: noop }
      },
      histogram: () => ({ startTimer: () => noop, observe: noop, reset: noop }),
      avgMinMax: () => ({ set: noop })
    } as unknown as MetricsRegister
  }
}
