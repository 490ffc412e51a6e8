/**
 * Recording chunks wait in IndexedDB until the server has acknowledged them, so neither a
 * dropped network nor a page reload loses one.
 */
export type StoredChunk = {
  sessionId: string
  attempt: number
  stream: string
  seq: number
  type: string
  sha256: string
  size: number
  blob: Blob
}

const DB_NAME = 'proctor-chunks'
const STORE = 'chunks'

function request<T>(req: IDBRequest<T>) {
  return new Promise<T>((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

export class ChunkStore {
  private constructor(private db: IDBDatabase) {}

  static async open() {
    const opening = indexedDB.open(DB_NAME, 1)
    opening.onupgradeneeded = () => {
      const store = opening.result.createObjectStore(STORE, { keyPath: ['sessionId', 'attempt', 'stream', 'seq'] })
      store.createIndex('bySession', 'sessionId')
    }
    return new ChunkStore(await request(opening))
  }

  private store(mode: IDBTransactionMode) {
    return this.db.transaction(STORE, mode).objectStore(STORE)
  }

  async put(chunk: StoredChunk) {
    const tx = this.db.transaction(STORE, 'readwrite')
    tx.objectStore(STORE).put(chunk)
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve()
      tx.onerror = () => reject(tx.error)
      tx.onabort = () => reject(tx.error)
    })
  }

  async delete(chunk: Pick<StoredChunk, 'sessionId' | 'attempt' | 'stream' | 'seq'>) {
    await request(this.store('readwrite').delete([chunk.sessionId, chunk.attempt, chunk.stream, chunk.seq]))
  }

  async pending(sessionId: string): Promise<StoredChunk[]> {
    const all = await request(this.store('readonly').index('bySession').getAll(sessionId))
    return (all as StoredChunk[]).sort((a, b) => a.attempt - b.attempt || a.seq - b.seq)
  }
}
