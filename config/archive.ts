import { join } from 'node:path'
import env from '#start/env'
import { dataDir } from '#config/paths'

/** The action archive (who opened which report, recording or photo, and when). */
export default {
  /**
   * Range requests of one user for one file, each less than this many minutes after the
   * one before (from the same address), are one viewing and one archive entry.
   */
  viewingIdleMinutes: env.get('ARCHIVE_VIEWING_IDLE_MINUTES', 30),
  /**
   * Key of the archive's HMAC chain and of its head file. Unset, it is derived from APP_KEY
   * (with its own purpose, so it signs nothing else); set it to keep the archive verifiable
   * across a change of APP_KEY. It lives in the environment, never in the database.
   */
  key: env.get('ARCHIVE_KEY'),
  /**
   * The chain's head (newest entry, its hash, the entry count), signed and kept outside the
   * database, so that deleting the newest entries shows.
   */
  headFile: join(dataDir, 'action-archive.head.json'),
}
