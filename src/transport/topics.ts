// Gossipsub topic names. Requests travel on one topic per collective and agent, so a node only
// receives requests for agents it serves; registrations share one topic per collective.

export function agentTopic (collective: string, agent: string): string {
  return `troupe/${collective}/agent/${agent}`
}

export function registryTopic (collective: string): string {
  return `troupe/${collective}/registry`
}

/**
 * Beats: only the peers that keep liveness (requesters and bootstraps) subscribe, so a beat
 * reaches them and passes through no daemon (docs/design.md, "Beats").
 */
export function beatTopic (collective: string): string {
  return `troupe/${collective}/beat`
}

/**
 * Where a node says it acted on a request but could not deliver its reply (issue 12): the one
 * path left when no connection to the requester works is the gossip mesh the request came by.
 */
export function undeliveredTopic (collective: string): string {
  return `troupe/${collective}/undelivered`
}

export function isAgentTopic (collective: string, topic: string): boolean {
  return topic.startsWith(`troupe/${collective}/agent/`)
}

// 2.0.0: the requester acknowledges every reply frame (src/transport/reply-channel.ts).
export const REPLY_PROTOCOL = '/troupe/reply/2.0.0'
export const DIRECTORY_PROTOCOL = '/troupe/directory/2.0.0'
export const DIRECT_REQUEST_PROTOCOL = '/troupe/request/1.0.0'
// 2.0.0: gossip messages carry no gossipsub signature (StrictNoSign); a 1.x peer rejects them,
// and this one rejects a 1.x peer's, so the two do not admit each other at all.
export const ADMIT_PROTOCOL = '/troupe/admit/2.0.0'
