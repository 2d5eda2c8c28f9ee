// One peer of the bench's libp2p floor (bench/floor/fleet.ts): what the stack troupe is built on
// costs by itself, with none of troupe's request handling on the path. Built with the settings
// every troupe peer is built with (src/transport/libp2p-settings.ts, troupe's noise crypto), and
// per request the least that any troupe request
// costs a node: a frame in on the requester's long-lived request stream (as troupe sends a request
// the mesh need not relay), a reply out on one long-lived stream, the requester's acknowledgement
// of it back in. Gossipsub runs, as on a troupe daemon, but carries no request. Left out:
// signatures, the gate, filter, policy, agents, the audit log, admission, the directory.
//
//   node peer.js requester                  IPC: {ready: address}, then {op: 'run'} → {cpuMs}
//   node peer.js node REQUESTER [PEER...]   IPC: {ready: address}
import '../../src/polyfill.js'
import { createHash } from 'node:crypto'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@chainsafe/libp2p-gossipsub'
import { identify } from '@libp2p/identify'
import type { PeerId, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import * as lp from 'it-length-prefixed'
import { pushable } from 'it-pushable'
import { limitJitTier } from '../../src/daemon/jit-tier.js'
import { pinYoungGeneration } from '../../src/young-generation.js'
import { CONNECTION_LIMITS, DAEMON_MAX_CONNECTIONS, YAMUX_KEEPALIVE_MS, gossipsubSettings } from '../../src/transport/libp2p-settings.js'
import { noiseCrypto } from '../../src/transport/noise-crypto.js'

/** Subscribed by every node, as a daemon is to its agents' topics, so gossipsub keeps a mesh. */
const FLOOR_TOPIC = 'floor/agent/rpcutil'
const REQUEST_PROTOCOL = '/floor/request/1.0.0'
const REPLY_PROTOCOL = '/floor/reply/1.0.0'
/** The first bytes of a request and of its reply: the request's id. */
const ID_BYTES = 16
/** About the size of a signed `rpcutil ping` request and of its reply. */
const REQUEST_BYTES = 600
const REPLY_BYTES = 300
const REQUEST_TIMEOUT_MS = 10_000

export type FloorCommand = { op: 'run', requests: number, nodes: number }
export type FloorMessage = { ready: string } | { cpuMs: number, replies: number }

const [role, ...peers] = process.argv.slice(2)
// A troupe daemon's V8 settings (src/cli/commands/services.ts), so the two differ only in code.
if (role === 'node') {
  limitJitTier()
  pinYoungGeneration()
}

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise({ crypto: noiseCrypto })],
  streamMuxers: [yamux({ keepAliveInterval: YAMUX_KEEPALIVE_MS })],
  connectionMonitor: { enabled: false },
  connectionManager: { maxConnections: DAEMON_MAX_CONNECTIONS, ...CONNECTION_LIMITS },
  services: { identify: identify(), pubsub: gossipsub(gossipsubSettings()) }
})
const pubsub = node.services.pubsub
const send = (message: FloorMessage): void => { process.send?.(message) }

/** Writes frames to a stream as they are pushed; reads its frames into onFrame. */
function frames (stream: Stream, onFrame: (frame: Uint8Array) => void): (frame: Uint8Array) => void {
  const out = pushable<Uint8Array>()
  stream.sink(lp.encode(out)).catch(() => {})
  void (async () => { for await (const frame of lp.decode(stream.source)) onFrame(frame.subarray()) })().catch(() => {})
  return frame => out.push(frame)
}

if (role === 'node') {
  const requester = multiaddr(peers[0] ?? '')
  await node.dial(requester)
  // Mesh peers beside the requester, as a troupe daemon keeps (src/daemon/mesh-keeper.ts).
  for (const peer of peers.slice(1)) await node.dial(multiaddr(peer)).catch(() => {})
  const reply = frames(await node.dialProtocol(requester, REPLY_PROTOCOL), () => {})
  await node.handle(REQUEST_PROTOCOL, ({ stream }) => {
    frames(stream, request => {
      const frame = new Uint8Array(REPLY_BYTES)
      frame.set(request.subarray(0, ID_BYTES))
      reply(frame)
    })
  })
  pubsub.subscribe(FLOOR_TOPIC)
} else {
  let current = ''
  let replies = 0
  let allIn: (() => void) | undefined
  let expected = 0
  /** The nodes that opened their reply stream, and the request stream to each (opened on first use). */
  const nodes = new Map<string, PeerId>()
  const requestStreams = new Map<string, (frame: Uint8Array) => void>()
  await node.handle(REPLY_PROTOCOL, ({ stream, connection }) => {
    nodes.set(connection.remotePeer.toString(), connection.remotePeer)
    const ack = frames(stream, frame => {
      ack(frame.subarray(0, ID_BYTES))
      if (Buffer.from(frame.subarray(0, ID_BYTES)).toString('hex') !== current) return
      replies += 1
      if (replies === expected) allIn?.()
    })
  })
  const request = async (): Promise<void> => {
    const bytes = new Uint8Array(REQUEST_BYTES)
    bytes.set(createHash('md5').update(`${process.pid} ${Date.now()} ${Math.random()}`).digest())
    current = Buffer.from(bytes.subarray(0, ID_BYTES)).toString('hex')
    replies = 0
    const done = new Promise<void>(resolve => { allIn = resolve })
    for (const send of requestStreams.values()) send(bytes)
    // A request some node never answers ends with the replies it got (the fleet counts them).
    let timer: NodeJS.Timeout | undefined
    await Promise.race([done, new Promise<void>(resolve => { timer = setTimeout(resolve, REQUEST_TIMEOUT_MS) })])
    clearTimeout(timer)
  }
  process.on('message', (command: FloorCommand) => {
    void (async () => {
      expected = command.nodes
      while (nodes.size < command.nodes) await new Promise(resolve => setTimeout(resolve, 50))
      for (const [id, peer] of nodes) {
        if (!requestStreams.has(id)) requestStreams.set(id, frames(await node.dialProtocol(peer, REQUEST_PROTOCOL), () => {}))
      }
      const before = process.cpuUsage()
      let total = 0
      for (let i = 0; i < command.requests; i++) {
        await request()
        total += replies
      }
      const used = process.cpuUsage(before)
      send({ cpuMs: (used.user + used.system) / 1000, replies: total })
    })()
  })
}
send({ ready: node.getMultiaddrs()[0]?.toString() ?? '' })
