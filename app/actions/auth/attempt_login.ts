import hash from '@adonisjs/core/services/hash'
import limiter from '@adonisjs/limiter/services/main'
import { errors as limiterErrors } from '@adonisjs/limiter'
import User from '#models/user'
import { loginLimits } from '#config/limiter'
import { recordAction, type Actor } from '#actions/audit/record_action'

export type LoginOutcome =
  | { user: User; retryAfterSeconds?: undefined }
  | { user: null; retryAfterSeconds?: undefined }
  /** Refused before the password was looked at: too many attempts for the account or address. */
  | { user: null; retryAfterSeconds: number }

const perMinute = (requests: number) =>
  limiter.use({ requests, duration: 60, blockDuration: loginLimits.blockMinutes * 60 })

/**
 * One staff login attempt, throttled per account and per client address with counters in
 * the shared database. Every attempt is counted before the password is checked (so parallel
 * guesses cannot slip past the limit); a successful one resets the account's counter and is
 * taken back from the address's. A wrong password, an unknown e-mail and a disabled account
 * take the same time and give the same answer. Each outcome is in the action archive.
 */
export async function attemptLogin(email: string, password: string, ip: string): Promise<LoginOutcome> {
  /* Until the password is verified, the actor is whoever typed this e-mail. */
  const anonymous: Actor = { userId: null, name: email, role: 'anonymous' }
  const address = perMinute(loginLimits.perAddress)
  const account = perMinute(loginLimits.perAccount)
  const addressKey = `login:address:${ip}`
  const accountKey = `login:account:${email}`

  for (const [scope, store, key] of [
    ['address', address, addressKey],
    ['account', account, accountKey],
  ] as const) {
    try {
      await store.consume(key)
    } catch (error) {
      if (!(error instanceof limiterErrors.E_TOO_MANY_REQUESTS)) throw error
      const { consumed, limit, availableIn } = error.response
      /* Archived once, when the block begins, so a flood cannot flood the archive too. */
      if (consumed === limit + 1) {
        await recordAction(anonymous, {
          action: 'auth.throttled',
          details: { scope, retryAfterSeconds: availableIn },
          ip,
        })
      }
      return { user: null, retryAfterSeconds: Math.max(1, availableIn) }
    }
  }

  const user = await User.findBy('email', email)
  /* Hash either way: the time taken must not tell whether the account exists. */
  const passwordOk = user ? await user.verifyPassword(password) : (await hash.use('scrypt').make(password), false)
  if (!user || !passwordOk || !user.active) {
    await recordAction(anonymous, {
      action: 'auth.login_failed',
      subjectType: user ? 'user' : undefined,
      subjectId: user?.id,
      details: { reason: !user ? 'unknown_account' : !passwordOk ? 'wrong_password' : 'account_disabled' },
      ip,
    })
    return { user: null }
  }

  await account.delete(accountKey)
  await address.decrement(addressKey)
  await recordAction({ userId: user.id, name: user.fullName, iin: user.iin, role: user.role }, { action: 'auth.login', ip })
  return { user }
}
