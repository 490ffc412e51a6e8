import type { HttpContext } from '@adonisjs/core/http'
import { readStudentLink } from '#actions/sessions/student_link'
import { openSession } from '#actions/sessions/open_session'
import { sessionToken } from '#services/signing'
import { maxChunkBytes } from '#actions/recordings/store_chunk'

/** The page a signed student link opens: checks, photo, recording, finish. */
export default class ExamPageController {
  async show({ params, view, response }: HttpContext) {
    const { session, exam, candidate } = await openSession(readStudentLink(params.link))
    /* The link is a credential: keep it out of other sites' logs and out of caches. */
    response.header('Referrer-Policy', 'no-referrer')
    response.header('Cache-Control', 'no-store')
    return view.render('pages/student/exam', {
      session,
      exam,
      candidate,
      config: {
        sessionId: session.publicId,
        token: sessionToken(session.publicId),
        status: session.status,
        requiresScreen: exam.requiresScreen,
        chunkMs: 3000,
        maxChunkBytes: maxChunkBytes(),
      },
    })
  }
}
