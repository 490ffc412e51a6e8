import app from '@adonisjs/core/services/app'
import env from '#start/env'
import { configProvider } from '@adonisjs/core'
import { defineConfig, formatters, loaders } from '@adonisjs/i18n'
import type { FormatterFactory } from '@adonisjs/i18n/types'
import { cachedFormatter } from '#services/cached_formatter'

/** kk, ru and en; Russian is the default, as at the first customer. */
const i18nConfig = defineConfig({
  defaultLocale: env.get('DEFAULT_LOCALE', 'ru'),
  supportedLocales: ['kk', 'ru', 'en'],
  /* ICU messages, each formatted once per locale and values (app/services/cached_formatter.ts). */
  formatter: configProvider.create(async (application) => {
    const icu: FormatterFactory = await formatters.icu().resolver(application)
    return ((config) => cachedFormatter(icu(config))) as FormatterFactory
  }),
  loaders: [loaders.fs({ location: app.languageFilesPath() })],
})

export default i18nConfig
