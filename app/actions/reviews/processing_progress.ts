import db from '@adonisjs/lucid/services/db'
import Recording from '#models/recording'
import ProctoringSession from '#models/proctoring_session'

/**
 * How far the worker has got with a session: its jobs (waiting, running with their
 * percentage, failed with their error) and each recording's state. Shown live on the report.
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
    .select('type', 'status', 'progress', 'last_error', 'attempts', 'max_attempts')
  const pending = jobs.filter((j) => j.status === 'queued' || j.status === 'running')
  const failed = jobs.filter((j) => j.status === 'failed')
  const running = pending.find((j) => j.status === 'running' && j.type === 'process_session')
  const done = !session.isOpen && pending.length === 0 && recordings.every((r) => r.status === 'ready' || r.status === 'failed')
  return {
    state: session.isOpen ? 'recording' : done ? (failed.length ? 'failed' : 'ready') : 'processing',
    percent: done ? 100 : Number(running?.progress ?? 0),
    analysedSeconds: Math.round(recordings.filter((r) => r.stream === 'webcam').reduce((s, r) => s + r.analysedSeconds, 0)),
    recordings: recordings.map((r) => ({ id: r.id, stream: r.stream, status: r.status })),
    errors: failed.map((j) => String(j.last_error ?? '').split('\n')[0]),
    credibility: session.credibility,
    done,
  }
}
