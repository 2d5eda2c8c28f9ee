// Builds the libp2p peer every role runs: TCP, (optional pnet), noise, yamux, identify, gossipsub;
// circuit relay v2 (the bootstrap serves it, the others dial and reserve through it) and DCUtR.
// Gossipsub's options and the connection limits, which decided whether messages arrived at all
// on a fleet and what each costs (docs/design.md), are in libp2p-settings.ts; here, what only a
// troupe peer has: admission around every service, the connection gater, relaying, stream limits.
import '../polyfill.js'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp, type TCPSocketOptions } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { noiseCrypto } from './noise-crypto.js'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { preSharedKey } from '@libp2p/pnet'
import { gossipsub, type GossipsubEvents } from '@chainsafe/libp2p-gossipsub'
import type { PubSub, PrivateKey, PeerId, Startable } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import { circuitRelayServer, circuitRelayTransport, RELAY_V2_HOP_CODEC, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import type { GossipCounters } from './gossip-counters.js'
import type { AdmissionGate } from './admission-gate.js'
import { InboundHandshakeLimit } from './handshake-limit.js'
import type { DialPolicy } from './dial-policy.js'
import { RELAY_LIMITS } from './relay-limits.js'
import { CONNECTION_LIMITS, DAEMON_MAX_CONNECTIONS, YAMUX_KEEPALIVE_MS, gossipsubSettings } from './libp2p-settings.js'

export type MeshRole = 'bootstrap' | 'daemon' | 'requester'

export interface MeshNodeOptions {
  role: MeshRole
  privateKey: PrivateKey
  listen: string[]
  /** the local address outgoing TCP connections are made from (config `source_address`); the system picks when absent */
  sourceAddress?: string
  swarmKey?: Uint8Array
  /** when set, only these peer ids (and bootstrap peers) may connect */
  allowedPeers?: Set<string>
  /** peers cut off for misbehaviour; consulted on every new connection */
  isBanned?: (peer: PeerId) => boolean
  /** extra gossipsub application score (negative for misbehaving peers) */
  appScore?: (peer: string) => number
  /** where gossipsub counts what it sends and receives */
  counters?: GossipCounters
  /** decides which peers take part: every service and protocol handler waits for it */
  admission: AdmissionGate
  /** addresses never to dial (direct addresses of peers reachable only through a relay) */
  dialPolicy?: DialPolicy
  /** serve circuit relay v2 (the bootstrap, unless `relay: false`) */
  relayServer?: boolean
  /** how many relays to hold a reservation on at once (daemons and requesters; 0: none) */
  relayReservations?: number
}

// A type alias, not an interface: libp2p's ServiceMap needs an index signature.
export type MeshServices = {
  pubsub: PubSub<GossipsubEvents>
  identify: Identify
  admission: Startable
  /** the bootstrap's relay server, when it serves one */
  relay?: CircuitRelayService
  dcutr?: unknown
}

export type MeshNode = Libp2p<MeshServices>

export async function createMeshNode (options: MeshNodeOptions): Promise<MeshNode> {
  const denied = (peer: PeerId): boolean =>
    (options.isBanned?.(peer) ?? false) ||
    (options.allowedPeers !== undefined && !options.allowedPeers.has(peer.toString()))
  const handshakes = new InboundHandshakeLimit()
  const admission = options.admission

  const reservations = options.relayReservations ?? 0
  // '/p2p-circuit' alone asks the relay transport for one reservation on any connected peer that
  // serves relay v2 (the bootstraps); when that relay goes, the transport looks for another.
  const listen = [...options.listen, ...Array.from({ length: reservations }, () => '/p2p-circuit')]
  const relayServices = options.relayServer === true
    ? { relay: admission.withAdmission(circuitRelayServer(RELAY_LIMITS)) }
    // Hole punching: a node reached through a relay tries a direct connection (libp2p's DCUtR
    // only tries public addresses; on a LAN, troupe's own reachability check decides).
    : reservations > 0 ? { dcutr: admission.withAdmission(dcutr()) } : {}

  const node = await createLibp2p({
    privateKey: options.privateKey,
    addresses: { listen },
    // Behind admission too: its STOP handler and relay discovery only see admitted peers.
    transports: [tcp({ dialOpts: dialFrom(options.sourceAddress) }), admission.withAdmission(circuitRelayTransport({ reservationCompletionTimeout: 10_000 }))],
    connectionProtector: options.swarmKey !== undefined ? preSharedKey({ psk: options.swarmKey }) : undefined,
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    streamMuxers: [yamux({ keepAliveInterval: YAMUX_KEEPALIVE_MS, ...streamLimits(options.relayServer === true) })],
    connectionGater: {
      // Loopback and private addresses are where fleets live; only addresses known not to
      // answer (a relayed-only peer's direct ones) are never dialled.
      denyDialMultiaddr: addr => options.dialPolicy?.denies(addr) ?? false,
      // Sockets that never finish their handshake must not lock newcomers out (a few per address).
      denyInboundConnection: maConn => handshakes.deny(maConn),
      denyInboundEncryptedConnection: (peer, maConn) => { handshakes.done(maConn); return denied(peer) },
      denyOutboundEncryptedConnection: denied
    },
    connectionManager: { maxConnections: maxConnections(options.role), ...CONNECTION_LIMITS },
    connectionMonitor: { enabled: false },
    services: {
      admission: admission.service(),
      ...relayServices,
      identify: identify(),
      pubsub: admission.withAdmission(gossipsub({
        ...gossipsubSettings(options.appScore),
        metricsRegister: options.counters?.register() ?? null,
        metricsTopicStrToLabel: new Map()
      }))
    },
    start: false
  }) as MeshNode
  // Every protocol troupe itself handles (directory, requests, replies, and any added later)
  // runs only for admitted peers: the guard is applied here, once, rather than at each handler.
  const handle = node.handle.bind(node)
  node.handle = async (protocols, handler, handlerOptions) => { await handle(protocols, admission.guard(handler), handlerOptions) }
  if (reservations > 0) await allowManyRelayedDials(node)
  return node
}

/**
 * Socket options for outgoing connections. @libp2p/tcp passes its dial options through to
 * `net.connect`, whose `localAddress` binds the source address; its own type lists only the
 * options it names, hence the wider type (test/integration/source-address.test.ts watches that
 * the connection really leaves from the address).
 */
function dialFrom (sourceAddress: string | undefined): TCPSocketOptions & { localAddress?: string } {
  return sourceAddress !== undefined ? { localAddress: sourceAddress } : {}
}

/** Relayed connections one peer may open through one relay at once. */
const MAX_RELAYED_DIALS_PER_RELAY = 100_000

/**
 * libp2p caps the outbound streams of one protocol on one connection at 64 unless that
 * protocol's handler says otherwise, and each relayed connection a peer opens is one HOP stream
 * on its connection to the relay: a requester reached at most 64 nodes through one bootstrap
 * (measured: "Too many outbound protocol streams for .../hop - 64/64" at the 65th). Dial options
 * cannot raise it (the dial queue drops them). So this peer registers a HOP "handler" that only
 * carries the limit: it refuses every inbound HOP stream (this peer is no relay), and HOP is
 * taken back out of the protocols identify advertises.
 */
async function allowManyRelayedDials (node: MeshNode): Promise<void> {
  await node.handle(RELAY_V2_HOP_CODEC, ({ stream }) => { stream.abort(new Error('not a relay')) }, { maxInboundStreams: 1, maxOutboundStreams: MAX_RELAYED_DIALS_PER_RELAY })
  const self = await node.peerStore.get(node.peerId)
  await node.peerStore.patch(node.peerId, { protocols: self.protocols.filter(protocol => protocol !== RELAY_V2_HOP_CODEC) })
}

/**
 * Streams one connection may carry at once. yamux's default, 1000 each way, capped a requester at
 * 1000 relayed nodes through one bootstrap (one HOP stream each on its connection to the relay:
 * "max outbound streams exceeded" at the 1001st, bench relay part). Outbound streams are this
 * peer's own doing. Inbound ones are what any admitted peer can make this one hold: only a relay
 * must take many (one per relayed node of each requester, up to its reservations); every other
 * peer keeps yamux's bound.
 */
function streamLimits (relayServer: boolean): { maxInboundStreams: number, maxOutboundStreams: number } {
  return {
    maxInboundStreams: relayServer ? RELAY_LIMITS.reservations.maxReservations : YAMUX_DEFAULT_STREAMS,
    maxOutboundStreams: MAX_RELAYED_DIALS_PER_RELAY
  }
}
const YAMUX_DEFAULT_STREAMS = 1000

/**
 * Connections a peer holds at most; past it, libp2p refuses inbound ones and prunes. A daemon
 * needs a few dozen. The bootstrap is dialled by every node of the fleet (and holds a relay
 * reservation for each under PE's rule), and a requester connects to every node it sends to:
 * at 2000, one bootstrap or one requester could not serve a fleet of more than 2000 nodes.
 */
function maxConnections (role: MeshRole): number {
  return role === 'daemon' ? DAEMON_MAX_CONNECTIONS : RELAY_LIMITS.reservations.maxReservations + MAX_REQUESTER_CONNECTIONS
}
/** room beside the reservations for requesters and peers that hold none */
const MAX_REQUESTER_CONNECTIONS = 1000
