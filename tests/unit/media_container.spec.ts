import { test } from '@japa/runner'
import { readFile } from 'node:fs/promises'
import { chunkContainerError, containerFormat } from '#services/media_container'

type Head = { contentType: string; seq: number; head: string; what?: string; stream?: string }

async function heads() {
  const url = new URL('../fixtures/chunk_heads.json', import.meta.url)
  return JSON.parse(await readFile(url, 'utf8')) as { real: Head[]; fake: Head[] }
}

test.group('Chunk containers', () => {
  test('every chunk Chromium\'s MediaRecorder made passes the container check', async ({ assert }) => {
    const { real } = await heads()
    assert.isAbove(real.filter((h) => h.seq > 0).length, 30)
    for (const chunk of real) {
      const error = chunkContainerError(Buffer.from(chunk.head, 'hex'), chunk.seq, chunk.contentType)
      assert.isNull(error, `${chunk.stream} chunk ${chunk.seq} (${chunk.head.slice(0, 16)}…)`)
    }
  })

  test('playlists, HTML, text, archives and mislabelled containers posing as chunks are refused', async ({ assert }) => {
    const { fake } = await heads()
    for (const chunk of fake) {
      const error = chunkContainerError(Buffer.from(chunk.head, 'hex'), chunk.seq, chunk.contentType)
      assert.equal(error, 'CHUNK_CONTAINER_INVALID', `${chunk.what} as ${chunk.contentType} chunk ${chunk.seq}`)
    }
  })

  test('the worker reads a recording in the container its first chunk opens with, and in nothing else', async ({ assert }) => {
    const { real, fake } = await heads()
    const first = (type: string) => Buffer.from(real.find((h) => h.seq === 0 && h.contentType.startsWith(type))!.head, 'hex')
    assert.equal(containerFormat(first('video/webm')), 'matroska')
    assert.equal(containerFormat(first('video/x-matroska')), 'matroska')
    assert.equal(containerFormat(first('audio/webm')), 'matroska')
    assert.equal(containerFormat(first('video/mp4')), 'mp4')
    const playlist = fake.find((h) => h.what!.startsWith('HLS'))!
    assert.isNull(containerFormat(Buffer.from(playlist.head, 'hex')))
    assert.isNull(containerFormat(Buffer.alloc(0)))
  })
})
