// `npm run bench:report`: writes docs/performance.md and its chart again from the last run's
// bench/results/latest.json, for when only the report's wording or chart changed.
import { readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeReport, type BenchReport } from './report.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const report = JSON.parse(readFileSync(join(root, 'bench', 'results', 'latest.json'), 'utf8')) as BenchReport
await writeReport(report, join(root, 'docs'))
process.stderr.write('bench: wrote docs/performance.md, docs/performance.png from bench/results/latest.json\n')
