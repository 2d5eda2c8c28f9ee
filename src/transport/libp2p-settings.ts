// The libp2p settings that decide what a connection and a message cost a peer: gossipsub's
// options, the connection manager's limits, yamux's keep-alive. Every troupe peer is built with
// them (mesh-node.ts), and so is the bench's libp2p floor (bench/floor/peer.ts), which must differ
// from a daemon only in troupe's own code; this module imports nothing of troupe's for that reason.
import { createHash } from 'node:crypto'
import type { GossipsubOpts } from '@chainsafe/libp2p-gossipsub'
import type { Message } from '@libp2p/interface'

/** libp2p's bound on one dial (connect, encryption, muxer), whatever time-out its caller gives. */
export const DIAL_TIMEOUT_MS = 10_000
/** Gossipsub heartbeat and score decay (see the heartbeatInterval option below). */
export const GOSSIP_HEARTBEAT_MS = 2_000
/**
 * Keep-alive pings (30 s by default, one timer per connection) only keep idle connections open
 * through NATs and load balancers; the shortest common idle timeouts are 4 min (Azure), 350 s
 * (AWS NLB): 2 min stays under them with room, and a 10-connection daemon wakes a quarter as often.
 */
export const YAMUX_KEEPALIVE_MS = 120_000
/** Connections a daemon holds at most (mesh-node.ts sizes the other roles'). */
export const DAEMON_MAX_CONNECTIONS = 2000

/** The connection manager's limits beside maxConnections: libp2p's defaults refuse a fleet's connections. */
export const CONNECTION_LIMITS = {
  maxParallelDials: 150,
  maxIncomingPendingConnections: 500,
  inboundConnectionThreshold: 10_000,
  dialTimeout: DIAL_TIMEOUT_MS
}

/** Gossipsub as every troupe peer runs it; appScore: the application's own score of a peer. */
export function gossipsubSettings (appScore: (peer: string) => number = () => 0): Partial<GossipsubOpts> {
  return {
    allowPublishToZeroTopicPeers: true,
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
      // Fleets behind NAT, or on one host, share an address: with gossipsub's IP-colocation
      // penalty, all but the first peers on it were graylisted and their subscriptions dropped.
      IPColocationFactorWeight: 0,
      appSpecificScore: appScore,
      appSpecificWeight: 1
    },
    scoreThresholds: {
      gossipThreshold: -500,
      publishThreshold: -1000,
      graylistThreshold: -2500,
      acceptPXThreshold: 0,
      opportunisticGraftThreshold: 5
    }
  }
}

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
