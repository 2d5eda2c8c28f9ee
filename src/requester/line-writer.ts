// Messages from the requester agent to a CLI are written in batches. Replies wait a few
// milliseconds for the next ones, so that the replies of a request reach the CLI in a few socket
// writes instead of one each; every other message (hello, selected, done...) goes out at the end
// of the current turn of the event loop, with whatever replies are waiting: the last reply of a
// request is never held back, since 'done' follows it at once. A socket write is a system call in
// the agent and a wake-up of the CLI; one per reply was a tenth of the agent's CPU.
import type { Socket } from 'node:net'

/** How long a reply may wait for company. Only replies before the last are delayed, by at most this. */
export const REPLY_COALESCE_MS = 5

export interface LineWriter {
  /** Queues one message (a JSON line); urgent ones go out when this turn of the event loop ends. */
  write: (line: string, urgent: boolean) => void
  /** Writes what is queued, then ends the socket. */
  end: () => void
}

export function lineWriter (socket: Socket): LineWriter {
  let queued: string[] = []
  let timer: NodeJS.Timeout | undefined
  let immediate: NodeJS.Immediate | undefined
  const flush = (): void => {
    clearTimeout(timer)
    clearImmediate(immediate)
    timer = undefined
    immediate = undefined
    if (queued.length === 0) return
    const lines = queued
    queued = []
    if (!socket.destroyed && socket.writable) socket.write(lines.length === 1 ? lines[0] as string : lines.join(''))
  }
  return {
    write: (line, urgent) => {
      queued.push(line)
      // setImmediate runs after this turn's I/O callbacks and the promise jobs they started.
      if (urgent) immediate ??= setImmediate(flush)
      else timer ??= setTimeout(flush, REPLY_COALESCE_MS)
    },
    end: () => {
      flush()
      socket.end()
    }
  }
}
