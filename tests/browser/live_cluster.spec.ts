import { test } from '@japa/runner'
import { AppServer } from '#tests/helpers/app_server'
import { examWithCandidate } from '#tests/helpers/fixtures'
import { openStudentLink } from '#tests/helpers/http'

/*
| With several web processes (node:cluster, the appliance's default), the SFU runs in the
| first one; the others hand it their live calls, and every page's event stream, whichever
| process holds it, gets its messages (issue 12).
*/

async function firstLine(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let text = ''
  while (!text.includes('\n')) text += (await reader.read()).value ?? ''
  return { message: JSON.parse(text.split('\n')[0]), reader, rest: text.slice(text.indexOf('\n') + 1) }
}

test.group('Live video under several web processes (issue 12)', (group) => {
  let server: AppServer
  group.setup(async () => {
    server = await AppServer.start({ WEB_PROCESSES: '2' })
    return () => server.stop()
  })

  test('with two web processes, every live call reaches the SFU and a chat message reaches the stream, whichever process answers', async ({ assert }) => {
    const { link } = await examWithCandidate({ requiresScreen: false })
    const student = await openStudentLink(server.url, link)
    const auth = { authorization: `Bearer ${student.token}` }
    const abort = new AbortController()
    const events = await fetch(`${server.url}/api/student/sessions/${student.sessionId}/live/events`, { headers: auth, signal: abort.signal })
    assert.equal(events.status, 200)
    const { message: hello, reader } = await firstLine(events)
    assert.equal(hello.type, 'hello')

    /* Round-robin spreads these over both processes: each must find the peer the SFU holds. */
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${server.url}/api/student/sessions/${student.sessionId}/live/transport`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ peerId: hello.peerId }),
      })
      assert.equal(response.status, 200, await response.clone().text())
      const transport = await response.json()
      assert.isString(transport.id)
      assert.isNotEmpty(transport.iceCandidates)
    }

    /* Messages sent through either process arrive on the one stream. */
    const sent: string[] = []
    for (let i = 0; i < 4; i++) {
      const text = `hello ${i}`
      const response = await fetch(`${server.url}/api/student/sessions/${student.sessionId}/live/messages`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      })
      assert.equal(response.status, 201)
      sent.push(text)
    }
    const received: string[] = []
    let buffered = ''
    while (received.length < sent.length) {
      buffered += (await reader.read()).value ?? ''
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines.filter(Boolean)) {
        const message = JSON.parse(line)
        if (message.type === 'message') received.push(message.message.body)
      }
    }
    assert.sameMembers(received, sent)
    abort.abort()
  }).timeout(60_000)
})
