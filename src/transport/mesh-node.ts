// Builds the libp2p peer every role runs: TCP, (optional pnet), noise, yamux, identify, gossipsub;
// circuit relay v2 (the bootstrap serves it, the others dial and reserve through it) and DCUtR.
// The settings below are the ones that decided whether messages arrived at all on a fleet
// (see docs/design.md and shared notes): scoring that tolerates many peers per IP, peer
// exchange so nodes mesh with each other rather than through the bootstrap, and connection
// limits sized for a requester that receives replies from a whole fleet at once.
import '../polyfill.js'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp, type TCPSocketOptions } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { noiseCrypto } from './noise-crypto.js'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { preSharedKey } from '@libp2p/pnet'
import { gossipsub, type GossipsubEvents } from '@chainsafe/libp2p-gossipsub'
import type { PubSub, PrivateKey, PeerId, Message, Startable } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import { circuitRelayServer, circuitRelayTransport, RELAY_V2_HOP_CODEC, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { createHash } from 'node:crypto'
import type { GossipCounters } from './gossip-counters.js'
import type { AdmissionGate } from './admission-gate.js'
import { InboundHandshakeLimit } from './handshake-limit.js'
import type { DialPolicy } from './dial-policy.js'
import { RELAY_LIMITS } from './relay-limits.js'

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
    // Keep-alive pings (30 s by default, one timer per connection) only keep idle connections
    // open through NATs and load balancers; the shortest common idle timeouts are 4 min (Azure),
    // 350 s (AWS NLB): 2 min stays under them with room, and a 10-connection daemon wakes a quarter as often.
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
    connectionManager: {
      maxConnections: maxConnections(options.role),
      maxParallelDials: 150,
      maxIncomingPendingConnections: 500,
      inboundConnectionThreshold: 10_000,
      dialTimeout: DIAL_TIMEOUT_MS
    },
    connectionMonitor: { enabled: false },
    services: {
      admission: admission.service(),
      ...relayServices,
      identify: identify(),
      pubsub: admission.withAdmission(gossipsub({
        allowPublishToZeroTopicPeers: true,
        metricsRegister: options.counters?.register() ?? null,
        metricsTopicStrToLabel: new Map(),
        ignoreDuplicatePublishError: true,
        emitSelf: false,
        floodPublish: true,
        // Gossipsub signs nothing: every message troupe gossips carries its author's own signature
        // (requests the caller key's, registrations, beats and notices the node's peer key's), so
        // gossipsub's envelope signature was a second one, checked on every message by every
        // peer (with a peer id rebuilt from it each time), for nothing the first did not prove.
        // Message ids come from topic and data (msgIdFn), never from a sender or sequence number.
        globalSignaturePolicy: 'StrictNoSign',
        // No peer exchange: it made meshes churn (prune, PX, reconnect) on every heartbeat; daemons
        // connect to a few other daemons from the directory instead (daemon/mesh-keeper.ts).
        doPX: false,
        // No peer-store tag per graft and prune: each was a peer-store read, decode, encode and
        // write, once per topic, so a new mesh peer cost every peer it met a merge per topic
        // (a large part of what a daemon's first connections cost in a 2026-11-27 profile). The
        // tags only rank peers for the connection manager's pruning, which troupe's limits
        // (2000 connections a daemon) do not reach.
        tagMeshPeers: false,
        // A narrower mesh and lazier gossip than gossipsub's defaults (6/5/12/6, 1 s): every copy
        // of a message costs a node a noise-encrypted write, and requests do not depend on the
        // mesh (the requester sends to every node it expects); membership tolerates a second's
        // delay.
        D: 4,
        Dlo: 3,
        Dhi: 8,
        Dlazy: 3,
        // 2 s (gossipsub's default is 1 s). Not longer: the heartbeat grafts and prunes mesh peers and
        // sends IHAVE gossip, and a request whose flood copy missed a node (a requester agent that
        // just restarted, its gossip streams not all open yet) reaches it by the mesh or the next
        // IHAVE: at 10 s that came after the command's timeout (test/integration/reply-path.test.ts,
        // "after the requester agent is killed", failed 2 runs in 4; 5/5 passed at 2 s).
        heartbeatInterval: GOSSIP_HEARTBEAT_MS,
        // IDONTWANT (gossipsub 1.2) answers each message with a control message to every mesh
        // peer; for requests and registrations of a few KiB that costs as much as the duplicates
        // it saves. Large messages (big registrations) still get it.
        idontwantMinDataSize: 16 * 1024,
        // Same bytes on the same topic = same message, whoever forwards it: a captured request
        // re-published by another peer is recognised as a duplicate.
        msgIdFn: (msg: Message) => messageDigest(msg.topic, msg.data),
        // Checked before the gossip signature: without it every duplicate copy (one per mesh
        // peer) was signature-verified before being dropped, a quarter of a busy node's CPU.
        // Only messages that passed validation enter this cache, so a forged copy cannot claim it.
        fastMsgIdFn: rpcMsg => Buffer.from(messageDigest(rpcMsg.topic, rpcMsg.data ?? new Uint8Array())).toString('base64'),
        maxInboundDataLength: 4 * 1024 * 1024,
        scoreParams: {
          // Score decay runs on its own timer, every second by default: decay with the heartbeat,
          // the per-second decay of behaviour penalties (0.2) raised to the interval so a penalty
          // fades as fast as before. decayToZero is a counter value, not a time: kept at 0.1.
          decayInterval: GOSSIP_HEARTBEAT_MS,
          behaviourPenaltyDecay: 0.2 ** (GOSSIP_HEARTBEAT_MS / 1000),
          decayToZero: 0.1,
          IPColocationFactorWeight: 0,
          appSpecificScore: options.appScore ?? (() => 0),
          appSpecificWeight: 1
        },
        scoreThresholds: {
          gossipThreshold: -500,
          publishThreshold: -1000,
          graylistThreshold: -2500,
          acceptPXThreshold: 0,
          opportunisticGraftThreshold: 5
        }
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
const DAEMON_MAX_CONNECTIONS = 2000
/** room beside the reservations for requesters and peers that hold none */
const MAX_REQUESTER_CONNECTIONS = 1000

/** libp2p's bound on one dial (connect, encryption, muxer), whatever time-out its caller gives. */
export const DIAL_TIMEOUT_MS = 10_000
/** Gossipsub heartbeat and score decay (see the heartbeatInterval option below). */
export const GOSSIP_HEARTBEAT_MS = 2_000
const YAMUX_KEEPALIVE_MS = 120_000

/**
 * A received message's id is asked for twice: by fastMsgIdFn on the RPC message, then by msgIdFn
 * on the validated message, which carries the same data array. The digest is kept with the array
 * so the message is hashed once (garbage-collected with it).
 */
const digests = new WeakMap<Uint8Array, { topic: string, digest: Uint8Array }>()

function messageDigest (topic: string, data: Uint8Array): Uint8Array {
  const known = digests.get(data)
  if (known !== undefined && known.topic === topic) return known.digest
  const digest = createHash('sha256').update(topic).update(data).digest()
  digests.set(data, { topic, digest })
  return digest
}
