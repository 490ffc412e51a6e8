import { test } from '@japa/runner'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import app from '@adonisjs/core/services/app'
import i18nManager from '@adonisjs/i18n/services/main'
import { LOCALES } from '#services/locale'

function flatten(value: unknown, prefix = ''): Record<string, string> {
  if (typeof value === 'string') return { [prefix]: value }
  return Object.entries(value as Record<string, unknown>).reduce(
    (all, [key, inner]) => ({ ...all, ...flatten(inner, prefix ? `${prefix}.${key}` : key) }),
    {}
  )
}

async function catalog(locale: string) {
  const dir = app.languageFilesPath(locale)
  const keys: Record<string, string> = {}
  for (const file of await readdir(dir)) {
    const name = file.replace(/\.json$/, '')
    Object.assign(keys, flatten(JSON.parse(await readFile(join(dir, file), 'utf8')), name))
  }
  return keys
}

async function sourceFiles(dir: string, extensions: string[]): Promise<string[]> {
  const entries = await readdir(app.makePath(dir), { recursive: true })
  return entries.filter((f) => extensions.some((e) => f.endsWith(e))).map((f) => app.makePath(dir, f))
}

test.group('Translations', () => {
  test('Kazakh, Russian and English have the same keys, none of them empty', async ({ assert }) => {
    const [kk, ru, en] = await Promise.all(LOCALES.map(catalog))
    assert.sameMembers(Object.keys(kk), Object.keys(en), 'kk vs en')
    assert.sameMembers(Object.keys(ru), Object.keys(en), 'ru vs en')
    for (const [locale, keys] of Object.entries({ kk, ru, en })) {
      for (const [key, value] of Object.entries(keys)) assert.isNotEmpty(value.trim(), `${locale}: ${key}`)
    }
  })

  test('every message key and error code the code uses has a text', async ({ assert }) => {
    const en = await catalog('en')
    const files = [...(await sourceFiles('resources/views', ['.edge'])), ...(await sourceFiles('app', ['.ts']))]
    const used = new Set<string>()
    for (const file of files) {
      const text = await readFile(file, 'utf8')
      for (const m of text.matchAll(/t\('((?:messages|errors)\.[a-z_.]*[a-z])'/gi)) used.add(m[1])
      for (const m of text.matchAll(/AppError(?:\.\w+)?\(\s*'([A-Z_]+)'/g)) used.add(`errors.${m[1]}`)
    }
    assert.isAbove(used.size, 50)
    const missing = [...used].filter((key) => !(key in en))
    assert.deepEqual(missing, [])
  })

  test('plural and placeholder messages format in every language', ({ assert }) => {
    assert.equal(i18nManager.locale('ru').t('messages.report.chunks', { count: 5 }), '5 фрагментов')
    assert.equal(i18nManager.locale('ru').t('messages.report.chunks', { count: 2 }), '2 фрагмента')
    assert.equal(i18nManager.locale('en').t('messages.report.chunks', { count: 1 }), '1 chunk')
    assert.equal(i18nManager.locale('kk').t('messages.student.hello', { name: 'Айгүл' }), 'Сәлеметсіз бе, Айгүл!')
  })
})
