import assert from 'node:assert/strict'
import { stableFacts } from '../../src/discovery/facts.js'

describe('facts for the directory', () => {
  it('leave out what changes all the time, keep what describes the node', () => {
    const facts = {
      kernel: 'Linux',
      uptime_seconds: 1234,
      load_averages: { '1m': 0.5 },
      memory: { system: { total: '23.5 GiB', total_bytes: 25_000_000_000, available: '20 GiB', used_bytes: 5_000_000_000, capacity: '20%' } },
      mountpoints: { '/': { device: '/dev/sda1', size_bytes: 100, available_bytes: 10, capacity: '90%' } },
      os: { family: 'Debian' }
    }
    assert.deepEqual(stableFacts(facts), {
      kernel: 'Linux',
      memory: { system: { total: '23.5 GiB', total_bytes: 25_000_000_000 } },
      mountpoints: { '/': { device: '/dev/sda1', size_bytes: 100 } },
      os: { family: 'Debian' }
    })
  })
})
