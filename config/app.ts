import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/core/http'

export const appUrl = env.get('APP_URL')

export const http = defineConfig({
  generateRequestId: true,
  allowMethodSpoofing: true,
  useAsyncLocalStorage: false,
  /*
   * X-Forwarded-For / -Proto / -Host are believed only from the proxies listed in
   * TRUSTED_PROXIES (IPs or CIDRs, comma-separated; "loopback" etc. as proxy-addr names them).
   * Anyone else's are ignored: request.ip() is then the socket's address, so a client cannot
   * write a made-up address into the action archive. Empty (the default) trusts no one.
   */
  trustProxy: env.get('TRUSTED_PROXIES', '').trim() || false,
  cookie: {
    domain: '',
    path: '/',
    maxAge: '2h',
    httpOnly: true,
    secure: app.inProduction && env.get('APP_URL').startsWith('https'),
    sameSite: 'lax',
  },
})
