// `npm run bench:report`: writes docs/performance.md and its chart again from the committed
// bench/results/latest.json (the run behind the page), byte for byte what the run wrote, or
// with new wording when only bench/report.ts changed.
import { readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeReport, type BenchReport } from './report.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const report = JSON.parse(readFileSync(join(root, 'bench', 'results', 'latest.json'), 'utf8')) as BenchReport
if (report.run?.commit === undefined) {
  process.stderr.write('bench: bench/results/latest.json does not say which run it came from (commit, time, machine); run npm run bench\n')
  process.exit(1)
}
await writeReport(report, join(root, 'docs'))
process.stderr.write('bench: wrote docs/performance.md, docs/performance.png from bench/results/latest.json\n')
