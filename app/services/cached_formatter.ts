import type { TranslationsFormatterContract } from '@adonisjs/i18n/types'

/**
 * The ICU formatter builds a new IntlMessageFormat for every `t()` call, and resolving its
 * locale costs more than the rest of the call: a report with 500 log rows spent ~30 ms of each
 * request there (bench/results, CPU profile). A formatted message depends only on the message,
 * the locale and the values, so it is kept, up to `limit` of them (then the store starts again).
 */
export function cachedFormatter(inner: TranslationsFormatterContract, limit = 20_000): TranslationsFormatterContract {
  const done = new Map<string, string>()
  return {
    name: inner.name,
    format(message: string, locale: string, data?: Record<string, any>) {
      let key: string
      try {
        key = `${locale}\u0000${message}\u0000${data ? JSON.stringify(data) : ''}`
      } catch {
        return inner.format(message, locale, data)
      }
      const known = done.get(key)
      if (known !== undefined) return known
      const text = inner.format(message, locale, data)
      if (done.size >= limit) done.clear()
      done.set(key, text)
      return text
    },
  }
}
