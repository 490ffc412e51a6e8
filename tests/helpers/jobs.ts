import { Worker } from '#worker/worker'

/** Runs every job that is due, in this process, until none is left (as a worker would). */
export async function runDueJobs(worker = new Worker()) {
  for (;;) {
    const job = await worker.queue.lease()
    if (!job) return
    await worker.runOne(job)
  }
}
