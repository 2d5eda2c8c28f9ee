// The services' V8 flags (src/service-flags.ts) reach every way a service starts: the places that
// spawn one pass SERVICE_NODE_FLAGS, and `troupe daemon` run by hand or by systemd gets them only
// from the launcher's shebang, so the two must not drift apart.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { SERVICE_NODE_FLAGS } from '../../src/service-flags.js'
import { TROUPE_BIN } from '../../src/demo/local-cluster.js'

describe('service node flags', function () {
  it('the launcher\'s shebang carries exactly the services\' flags', function () {
    const shebang = readFileSync(TROUPE_BIN, 'utf8').split('\n')[0]
    assert.equal(shebang, `#!/usr/bin/env -S node ${SERVICE_NODE_FLAGS.join(' ')}`)
  })

  it('this Node.js accepts every flag (a misspelt one stops the service from starting)', function () {
    const execArgv = JSON.parse(execFileSync(process.execPath, [...SERVICE_NODE_FLAGS, '-e', 'console.log(JSON.stringify(process.execArgv))'], { encoding: 'utf8' })) as string[]
    assert.deepEqual(execArgv.slice(0, SERVICE_NODE_FLAGS.length), SERVICE_NODE_FLAGS)
  })
})
