import vine from '@vinejs/vine'
import { plainText, strictObject } from '#validators/rules'

const url = () => plainText(500).trim().url({ require_protocol: true, protocols: ['https', 'http'], require_tld: false })

/** An LTI 1.3 platform registered by hand (/staff/lti): what the LMS shows on its tool's page. */
export const ltiPlatformValidator = vine.create(
  strictObject({
    name: plainText(100).trim().minLength(1),
    issuer: url(),
    clientId: plainText(200).trim().minLength(1),
    /** One per line (or comma-separated). */
    deploymentIds: vine.string().maxLength(2000).trim().minLength(1).regex(/^[^\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]*$/),
    authLoginUrl: url(),
    tokenUrl: url().optional().nullable(),
    jwksUrl: url(),
    active: vine.boolean().optional(),
  })
)

/** The deployment ids a form gave: one per line or comma, trimmed, each at most 200 characters, no repeats. */
export function splitDeploymentIds(text: string): string[] | null {
  const ids = [...new Set(text.split(/[\r\n,]+/).map((id) => id.trim()).filter(Boolean))]
  if (ids.length === 0 || ids.length > 50 || ids.some((id) => id.length > 200)) return null
  return ids
}
