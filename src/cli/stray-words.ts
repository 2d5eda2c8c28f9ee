// Words a command does not take. Commander (12) passes extra positional words to the action
// and the action ignores them: `troupe puppet status -S role=web and env=dev` (unquoted) ran on
// every web node, `troupe find -I a b c` on a only. Here they are a usage error (exit 2) with a
// hint at the likely mistake.
import type { Command } from 'commander'
import { UsageError } from './errors.js'

export function strayWordsCheck (_root: Command, command: Command): void {
  const declared = command.registeredArguments
  if (declared.some(argument => argument.variadic)) return
  const stray = command.args.slice(declared.length)
  if (stray.length === 0) return
  const name = commandPath(command)
  const words = stray.map(word => /\s/.test(word) ? `'${word}'` : word).join(' ')
  throw new UsageError(`${name} does not take '${words}'${hintFor(command, stray)}`)
}

function hintFor (command: Command, stray: string[]): string {
  const opts = command.opts<{ select?: string, wi?: string[], wf?: string[], wc?: string[] }>()
  const hints: string[] = []
  // A command that takes a word of its own (puppet disable's message) most likely got it unquoted.
  const last = command.registeredArguments[command.registeredArguments.length - 1]
  const given = last !== undefined ? command.args.slice(command.registeredArguments.length - 1, command.registeredArguments.length) : []
  if (last !== undefined) hints.push(`quote the ${last.name()} if it has spaces, e.g. '${[...given, ...stray].join(' ')}'`)
  // The words after an unquoted -S may have been taken for the command's own word too.
  if (opts.select !== undefined) hints.push(`quote the -S expression, e.g. -S '${[opts.select, ...given, ...stray].join(' ')}'`)
  else if (opts.wi !== undefined && last === undefined) hints.push(`give -I once per node, e.g. ${[...opts.wi, ...stray].map(id => `-I ${id}`).join(' ')}`)
  else if ((opts.wf !== undefined || opts.wc !== undefined) && last === undefined) hints.push('give -F or -C once per fact or class, or quote a value with spaces')
  if (hints.length === 0) hints.push(`see troupe ${commandPath(command).replace(/^troupe /, '')} --help`)
  return `: ${hints.join('; or ')}`
}

function commandPath (command: Command): string {
  const names: string[] = []
  for (let at: Command | null = command; at !== null; at = at.parent) names.unshift(at.name())
  return names.join(' ')
}
