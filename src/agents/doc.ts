// `troupe plugin doc`: agents, their actions, inputs and outputs, from the DDL.
import type { AgentDDL, InputDDL } from './types.js'

export function renderAgentList (ddls: AgentDDL[]): string {
  const width = Math.max(...ddls.map(ddl => ddl.metadata.name.length))
  return 'Agents:\n\n' + ddls.map(ddl => `  ${ddl.metadata.name.padEnd(width)}  ${ddl.metadata.description}`).join('\n') + '\n\nMore: troupe plugin doc AGENT\n'
}

function describeInput (name: string, input: InputDDL): string {
  const rules = [
    input.optional === true ? 'optional' : 'required',
    input.type,
    input.default !== undefined ? `default ${JSON.stringify(input.default)}` : '',
    input.pattern !== undefined ? `matches /${input.pattern}/` : '',
    input.shellsafe === true ? 'shell-safe' : '',
    input.enum !== undefined ? `one of ${input.enum.join(', ')}` : '',
    input.maxLength !== undefined ? `max length ${input.maxLength}` : '',
    input.minimum !== undefined ? `min ${input.minimum}` : '',
    input.maximum !== undefined ? `max ${input.maximum}` : ''
  ].filter(rule => rule !== '')
  return `      ${name}: ${input.description} (${rules.join(', ')})`
}

export function renderAgentDoc (ddl: AgentDDL): string {
  const meta = ddl.metadata
  const lines = [
    `${meta.name}`,
    `${'='.repeat(meta.name.length)}`,
    '',
    meta.description,
    '',
    `      Author: ${meta.author}`,
    `     Version: ${meta.version}`,
    `     License: ${meta.license}`,
    `     Timeout: ${meta.timeout} s`,
    '',
    'ACTIONS:',
    '========'
  ]
  for (const [name, action] of Object.entries(ddl.actions)) {
    lines.push('', `   ${name}:`, `   ${'-'.repeat(name.length + 1)}`, `   ${action.description}`, '')
    lines.push('   INPUT:')
    const inputs = Object.entries(action.inputs)
    lines.push(...(inputs.length === 0 ? ['      This action has no inputs'] : inputs.map(([inputName, input]) => describeInput(inputName, input))))
    lines.push('', '   OUTPUT:')
    lines.push(...Object.entries(action.outputs).map(([outputName, output]) => `      ${outputName}: ${output.description} (shown as "${output.display_as}")`))
    if (action.summaries !== undefined) lines.push('', `   SUMMARY: ${action.summaries.map(summary => `${summary.kind} of ${summary.output}`).join(', ')}`)
  }
  return lines.join('\n') + '\n'
}
