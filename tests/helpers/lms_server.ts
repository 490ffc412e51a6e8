import { createServer, type Server } from 'node:http'
import { freePort } from './app_server.js'

/**
 * A stand-in for the university's LMS on another origin (localhost vs 127.0.0.1): a quiz
 * page that includes the appliance's agent script, as Moodle's "Additional HTML" would.
 */
export class LmsServer {
  private constructor(
    private server: Server,
    readonly url: string
  ) {}

  static async start(applianceUrl: string) {
    const port = await freePort()
    const page = `<!doctype html><html><head><meta charset="utf-8"><title>Quiz</title>
<script src="${applianceUrl}/agent.js"></script></head>
<body><h1>Тест: Анатомия</h1><p id="question">Вопрос 1. Назовите самую длинную кость человека.</p>
<textarea id="answer" rows="3" cols="40"></textarea></body></html>`
    const server = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html; charset=utf-8')
      response.end(page)
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    return new LmsServer(server, `http://localhost:${port}/mod/quiz/attempt.php`)
  }

  stop() {
    this.server.closeAllConnections()
    return new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
