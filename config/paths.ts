import { join, resolve } from 'node:path'
import app from '@adonisjs/core/services/app'
import env from '#start/env'

/** Root of everything the appliance stores: database, recordings, photos. */
export const dataDir = resolve(app.makePath(env.get('DATA_DIR') ?? 'storage'))
export const dbFile = resolve(env.get('DB_FILE') ?? join(dataDir, 'proctor.sqlite3'))
export const recordingsDir = join(dataDir, 'recordings')
export const photosDir = join(dataDir, 'photos')
