// Gossipsub topic names. Requests travel on one topic per collective and agent, so a node only
// receives requests for agents it serves; registrations share one topic per collective.

export function agentTopic (collective: string, agent: string): string {
  return `troupe/${collective}/agent/${agent}`
}

export function registryTopic (collective: string): string {
  return `troupe/${collective}/registry`
}

export function isAgentTopic (collective: string, topic: string): boolean {
  return topic.startsWith(`troupe/${collective}/agent/`)
}

export const REPLY_PROTOCOL = '/troupe/reply/1.0.0'
export const DIRECTORY_PROTOCOL = '/troupe/directory/2.0.0'
export const DIRECT_REQUEST_PROTOCOL = '/troupe/request/1.0.0'
export const ADMIT_PROTOCOL = '/troupe/admit/1.0.0'
