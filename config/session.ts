import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, stores } from '@adonisjs/session'

const sessionConfig = defineConfig({
  enabled: true,
  cookieName: 'proctor-session',
  clearWithBrowser: false,
  age: '8h',
  cookie: {
    path: '/',
    httpOnly: true,
    secure: app.inProduction && env.get('APP_URL').startsWith('https'),
    sameSite: 'lax',
  },
  store: env.get('SESSION_DRIVER'),
  stores: { cookie: stores.cookie() },
})

export default sessionConfig
