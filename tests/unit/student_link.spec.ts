import { test } from '@japa/runner'
import AppError from '#exceptions/app_error'
import { issueStudentLink, readStudentLink } from '#actions/sessions/student_link'
import { sessionToken, verifySessionToken } from '#services/signing'

function codeOf(fn: () => unknown) {
  try {
    fn()
  } catch (error) {
    return error instanceof AppError ? error.code : String(error)
  }
  return 'no error'
}

test.group('Signed student links', () => {
  test('a link names its exam and candidate until it expires', ({ assert }) => {
    const { path, expiresAt } = issueStudentLink(12, 34, 2)
    const claims = readStudentLink(path.slice(3))
    assert.deepEqual(claims, { examIds: [12], candidateId: 34, expiresAt, nonce: undefined }, 'a link issued outside the panel carries no revocation nonce')
    const several = issueStudentLink([12, 13], 34)
    assert.deepEqual(readStudentLink(several.path.slice(3)).examIds, [12, 13])
  })

  test('a changed, truncated or expired link is refused with its code', ({ assert }) => {
    const token = issueStudentLink(12, 34).path.slice(3)
    const [payload, signature] = token.split('.')
    const other = Buffer.from(JSON.stringify({ e: 12, c: 35, x: 4102444800 })).toString('base64url')
    assert.equal(codeOf(() => readStudentLink(`${other}.${signature}`)), 'LINK_INVALID')
    assert.equal(codeOf(() => readStudentLink(payload)), 'LINK_INVALID')
    assert.equal(codeOf(() => readStudentLink(`${payload}.${signature.slice(0, -2)}`)), 'LINK_INVALID')
    assert.equal(codeOf(() => readStudentLink(issueStudentLink(12, 34, -1).path.slice(3))), 'LINK_EXPIRED')
  })

  test('a session token opens only its own session', ({ assert }) => {
    assert.isTrue(verifySessionToken('session-a', sessionToken('session-a')))
    assert.isFalse(verifySessionToken('session-b', sessionToken('session-a')))
    assert.isFalse(verifySessionToken('session-a', undefined))
  })
})
