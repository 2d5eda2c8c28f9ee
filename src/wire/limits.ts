// Size and time bounds of the wire format. Every decoder checks these before parsing.

/** a signed request, whole (header + signature + body) */
export const MAX_REQUEST_BYTES = 64 * 1024
/** one reply on the reply stream */
export const MAX_REPLY_BYTES = 1024 * 1024
/** one registration (identity, addresses, agents, classes, facts); facter's facts fit */
export const MAX_REGISTRATION_BYTES = 256 * 1024
/** one frame of a directory snapshot (a snapshot is as many frames as it takes) */
export const MAX_DIRECTORY_FRAME_BYTES = 80 * 1024 * 1024
/** a directory query (which peers' entries are wanted) */
export const MAX_DIRECTORY_QUERY_BYTES = 1024 * 1024
/** the longest time-to-live a request may ask for, in seconds */
export const MAX_TTL_SECONDS = 3600
/** how far a requester's clock may be off, either way */
export const CLOCK_SKEW_MS = 30_000
/** what a request id looks like: 16 random bytes in lower-case hex (requests, replies, notices) */
export const REQUEST_ID = /^[0-9a-f]{32}$/
