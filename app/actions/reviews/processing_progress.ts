import db from '@adonisjs/lucid/services/db'
import Recording from '#models/recording'
import ProctoringSession from '#models/proctoring_session'

/**
 * What staff are told when a job failed: a stable code with a translated message
 * (errors.<CODE>). The job's own error (ffmpeg's output, with the server's storage paths) stays
 * in the worker's log and the jobs table, never on a page.
 */
const FAILED_JOB_CODES: Record<string, string> = {
  process_session: 'PROCESSING_FAILED',
  analyse_recording: 'ANALYSIS_FAILED',
}

/**
 * How far the worker has got with a session: its jobs (waiting, running with their
 * percentage, failed with an error code) and each recording's state. Shown live on the report.
 */
export async function processingProgress(session: ProctoringSession) {
  const recordings = await Recording.query().where('sessionId', session.id).orderBy('id')
  const ids = recordings.map((r) => r.id)
  const jobs = await db
    .from('jobs')
    .where((q) => {
      q.where('unique_key', `process_session:${session.id}`)
      if (ids.length) q.orWhereIn('unique_key', ids.map((id) => `analyse_recording:${id}`))
    })
    .select('type', 'status', 'progress', 'attempts', 'max_attempts')
  const pending = jobs.filter((j) => j.status === 'queued' || j.status === 'running')
  const failed = jobs.filter((j) => j.status === 'failed')
  const running = pending.find((j) => j.status === 'running' && j.type === 'process_session')
  const done = !session.isOpen && pending.length === 0 && recordings.every((r) => r.status === 'ready' || r.status === 'failed')
  return {
    state: session.isOpen ? 'recording' : done ? (failed.length ? 'failed' : 'ready') : 'processing',
    percent: done ? 100 : Number(running?.progress ?? 0),
    analysedSeconds: Math.round(recordings.filter((r) => r.stream === 'webcam').reduce((s, r) => s + r.analysedSeconds, 0)),
    recordings: recordings.map((r) => ({ id: r.id, stream: r.stream, status: r.status })),
    /** Error codes, each once. */
    errors: [...new Set(failed.map((j) => FAILED_JOB_CODES[j.type] ?? 'PROCESSING_FAILED'))],
    credibility: session.credibility,
    done,
  }
}
