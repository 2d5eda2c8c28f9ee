// Mutation score per directory from Stryker's JSON report (npm run mutate), as a Markdown table.
// Score = (killed + timed out) / (killed + timed out + survived + no coverage); mutants that do
// not compile (the TypeScript checker) or crash the runner are not counted, as Stryker does.
// With --survivors, the surviving mutants are listed (file:line, mutator, replacement).
import { readFileSync } from 'node:fs'

interface Mutant { status: string, mutatorName: string, replacement?: string, location: { start: { line: number } } }
interface Report { files: Record<string, { mutants: Mutant[] }> }

const GROUPS = ['src/security', 'src/wire', 'src/discovery/filter', 'src/daemon']
const DETECTED = new Set(['Killed', 'Timeout'])
const UNDETECTED = new Set(['Survived', 'NoCoverage'])

export function summarize (report: Report): Array<{ group: string, killed: number, survived: number, noCoverage: number, score: number }> {
  const rows = [...GROUPS, 'all'].map(group => ({ group, killed: 0, survived: 0, noCoverage: 0, score: 0 }))
  for (const [path, file] of Object.entries(report.files)) {
    const relative = path.replace(/^.*?(?=src\/)/, '')
    for (const row of rows.filter(row => row.group === 'all' || relative.startsWith(`${row.group}/`))) {
      for (const mutant of file.mutants) {
        if (DETECTED.has(mutant.status)) row.killed += 1
        else if (mutant.status === 'Survived') row.survived += 1
        else if (mutant.status === 'NoCoverage') row.noCoverage += 1
      }
    }
  }
  for (const row of rows) {
    const valid = row.killed + row.survived + row.noCoverage
    row.score = valid === 0 ? 0 : Math.round(1000 * row.killed / valid) / 10
  }
  return rows
}

function main (): void {
  const [path = 'reports/mutation/mutation.json', ...flags] = process.argv.slice(2)
  const report = JSON.parse(readFileSync(path, 'utf8')) as Report
  console.log('| directory | score % | killed | survived | no coverage |')
  console.log('| --- | ---: | ---: | ---: | ---: |')
  for (const row of summarize(report)) console.log(`| ${row.group} | ${row.score.toFixed(1)} | ${row.killed} | ${row.survived} | ${row.noCoverage} |`)
  if (flags.includes('--survivors')) {
    for (const [file, { mutants }] of Object.entries(report.files).sort()) {
      for (const mutant of mutants.filter(m => UNDETECTED.has(m.status))) {
        console.log(`${file.replace(/^.*?(?=src\/)/, '')}:${mutant.location.start.line} ${mutant.status} ${mutant.mutatorName}: ${(mutant.replacement ?? '').replace(/\s+/g, ' ').slice(0, 100)}`)
      }
    }
  }
}

if (process.argv[1]?.endsWith('mutation-summary.js') === true) main()
