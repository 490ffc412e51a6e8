import app from '@adonisjs/core/services/app'
import env from '#start/env'
import { defineConfig, formatters, loaders } from '@adonisjs/i18n'

/** kk, ru and en; Russian is the default, as at the first customer. */
const i18nConfig = defineConfig({
  defaultLocale: env.get('DEFAULT_LOCALE', 'ru'),
  supportedLocales: ['kk', 'ru', 'en'],
  formatter: formatters.icu(),
  loaders: [loaders.fs({ location: app.languageFilesPath() })],
})

export default i18nConfig
