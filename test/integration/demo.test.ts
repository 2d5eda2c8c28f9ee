// `troupe demo --keep` then `troupe demo --stop`: the kept fleet is stopped by the processes it
// recorded (no `pkill -f` hint), and its files are removed.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { troupe } from '../helpers/cli.js'

describe('demo --keep and --stop', function () {
  this.timeout(240_000)
  const runtime = mkdtempSync(join(tmpdir(), 'troupe-demo-run-'))
  const env = { XDG_RUNTIME_DIR: runtime }

  it('--stop stops exactly the fleet --keep left running', async () => {
    const kept = await troupe(['demo', '--keep', '--nodes', '2'], { env, timeoutMs: 180_000 })
    assert.equal(kept.code, 0, kept.stdout + kept.stderr)
    assert.match(kept.stdout, /Stop it with:\n {2}npx troupe demo --stop\n/)
    assert.doesNotMatch(kept.stdout, /pkill/)
    const record = JSON.parse(readFileSync(join(runtime, 'troupe', 'demo.json'), 'utf8')) as { dir: string, processes: Array<{ pid: number }> }
    assert.equal(record.processes.length, 3)
    for (const { pid } of record.processes) assert.ok(existsSync(`/proc/${pid}`), `demo process ${pid} runs`)
    const stopped = await troupe(['demo', '--stop'], { env })
    assert.equal(stopped.code, 0, stopped.stderr)
    assert.match(stopped.stdout, /Stopped the demo fleet \(3 processes\)/)
    for (const { pid } of record.processes) {
      const state = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] : 'gone'
      assert.ok(state === 'gone' || state === 'Z', `demo process ${pid} stopped (${state})`)
    }
    assert.equal(existsSync(record.dir), false)
    const again = await troupe(['demo', '--stop'], { env })
    assert.match(again.stdout, /No demo fleet is recorded as running/)
  })
})
