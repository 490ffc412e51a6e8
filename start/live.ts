/*
| Live video (issue 12): the SFU's mediasoup workers start with the first live call (a page
| that publishes or watches) and stop with the app.
*/
import app from '@adonisjs/core/services/app'
import { closeLive } from '#services/live/live'

app.terminating(() => closeLive())

/*
| bench/live starts the app with LIVE_BENCH=1 and an IPC channel: it asks, by message, for light
| publishers (plain RTP from ffmpeg) and for the workers' process ids. Nothing of it exists
| otherwise (no route, no listener).
*/
if (process.env.LIVE_BENCH === '1' && process.send) {
  const { sfuCall } = await import('#services/live/live')
  process.on('message', (message: any) => {
    if (!message || message.bench === undefined) return
    const op = message.bench === 'producer' ? 'benchProducer' : 'workerPids'
    sfuCall(op, message.args ?? {}).then(
      (result) => process.send!({ benchReply: message.id, result }),
      (error) => process.send!({ benchReply: message.id, error: String(error?.message ?? error) })
    )
  })
}
