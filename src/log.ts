// Structured logs (JSON lines) for long-running roles; the CLI prints plain one-line errors instead.
import pino from 'pino'

export type Logger = pino.Logger

export function createLogger (options: { level: string, file?: string, name: string }): Logger {
  const destination = options.file !== undefined
    ? pino.destination({ dest: options.file, mkdir: true, sync: false })
    : pino.destination(2)
  return pino({ name: options.name, level: options.level, base: { pid: process.pid } }, destination)
}

export function silentLogger (): Logger {
  return pino({ level: 'silent' })
}
