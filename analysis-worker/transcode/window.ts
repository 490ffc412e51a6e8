import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chunkBytes, type ChunkLocation } from '#services/chunk_files'
import { dataDir } from '#config/paths'

/** EBML id of a WebM Cluster: every cluster carries its own absolute time code. */
const CLUSTER_ID = Buffer.from([0x1f, 0x43, 0xb6, 0x75])

/**
 * A playable WebM file holding chunks `from`..end of a recording: the recording's header
 * (everything before the first cluster of chunk 0) followed by whole clusters. Cluster time
 * codes are absolute, so frames keep their time from the start of the recording.
 * Starting one chunk early and cutting at a cluster start means no frame is left half.
 */
export async function windowFile(chunks: ChunkLocation[], from: number, target: string) {
  const first = await chunkBytes(dataDir, chunks[0])
  const headerEnd = first.indexOf(CLUSTER_ID)
  if (headerEnd < 0) throw new Error('the first chunk has no WebM cluster: not a WebM recording, or damaged')
  if (from === 0) {
    const parts = [first]
    for (const chunk of chunks.slice(1)) parts.push(await chunkBytes(dataDir, chunk))
    await writeFile(target, Buffer.concat(parts))
    return target
  }
  const parts: Buffer[] = []
  for (const chunk of chunks.slice(Math.max(0, from - 1))) parts.push(await chunkBytes(dataDir, chunk))
  const body = Buffer.concat(parts)
  const clusterAt = body.indexOf(CLUSTER_ID)
  await writeFile(target, Buffer.concat([first.subarray(0, headerEnd), clusterAt >= 0 ? body.subarray(clusterAt) : body]))
  return target
}

export function windowPath(folder: string, recordingId: number) {
  return join(folder, `.analysis-${recordingId}-${process.pid}.webm`)
}
