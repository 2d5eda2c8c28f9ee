// What one relay (the bootstrap) grants: sized for troupe's traffic, not libp2p's defaults (15
// reservations, 128 KiB and 2 minutes a relayed connection). A relayed connection carries a
// requester's requests (64 KiB at most) and a node's replies (1 MiB at most a frame), and is
// opened again when a limit resets it; a reply cut by the reset is sent again by the node
// (src/transport/reply-channel.ts). What a reservation costs the bootstrap: docs/performance.md.
import type { CircuitRelayServerInit } from '@libp2p/circuit-relay-v2'

export const RELAY_LIMITS = {
  // One per relayed node and requester: far above any fleet one bootstrap serves (measured in
  // docs/performance.md), a bound against a peer reserving on behalf of many identities.
  reservations: {
    maxReservations: 20_000,
    // Renewed by the reserving peer 5 minutes before expiry.
    reservationTtl: 60 * 60_000,
    applyDefaultLimit: true,
    // libp2p's server applies this in milliseconds (and announces the same number as seconds).
    defaultDurationLimit: 30 * 60_000,
    // Both directions together: 16 full-size replies, or tens of thousands of pings.
    defaultDataLimit: BigInt(16 * 1024 * 1024)
  },
  // Every relayed connection a requester opens is one HOP stream on its one connection to the
  // bootstrap; every relayed connection into a node is one STOP stream on the node's.
  maxInboundHopStreams: 100_000,
  maxOutboundHopStreams: 100_000,
  maxOutboundStopStreams: 100_000
} satisfies CircuitRelayServerInit
