// Progress of long runs (batches, runall) on a terminal; silent in pipes and with --json.
import cliProgress from 'cli-progress'

export class BatchProgress {
  private bar: cliProgress.SingleBar | undefined

  update (done: number, total: number): void {
    if (process.stderr.isTTY !== true) return
    if (this.bar === undefined) {
      this.bar = new cliProgress.SingleBar({ format: 'batches [{bar}] {value}/{total}', stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic)
      this.bar.start(total, 0)
    }
    this.bar.update(done)
  }

  stop (): void {
    this.bar?.stop()
  }
}
