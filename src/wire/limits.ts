// Size and time bounds of the wire format. Every decoder checks these before parsing.

/** a signed request, whole (header + signature + body) */
export const MAX_REQUEST_BYTES = 64 * 1024
/** one reply on the reply stream */
export const MAX_REPLY_BYTES = 1024 * 1024
/** one registration (identity, addresses, agents, classes, facts) */
export const MAX_REGISTRATION_BYTES = 64 * 1024
/** a directory snapshot sent to a joining peer */
export const MAX_DIRECTORY_BYTES = 32 * 1024 * 1024
/** the longest time-to-live a request may ask for, in seconds */
export const MAX_TTL_SECONDS = 3600
/** how far a requester's clock may be off, either way */
export const CLOCK_SKEW_MS = 30_000
