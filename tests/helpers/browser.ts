import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Real Chromium, headless, with Chromium's fake camera, microphone and screen: the
 * permission prompts answer "allow" and the screen picker picks the entire screen.
 */
export async function launchBrowser(options: { videoFile?: string; audioFile?: string } = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'proctor-chromium-'))
  const args = [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--auto-select-desktop-capture-source=Entire screen',
    '--allow-loopback-in-peer-connection',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--autoplay-policy=no-user-gesture-required',
  ]
  if (options.videoFile) args.push(`--use-file-for-fake-video-capture=${options.videoFile}`)
  if (options.audioFile) args.push(`--use-file-for-fake-audio-capture=${options.audioFile}`)
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 1280, height: 720 },
  })
  return context
}
