import { DateTime } from 'luxon'
import { BaseModel, column } from '@adonisjs/lucid/orm'
import { jsonColumn } from '#models/columns'

/**
 * An activity in a course of an LTI platform, as its launches describe it: the course
 * (context), the services it offers (NRPS roster URL, AGS line items) and the exam bound to
 * it. Updated with the claims on every launch (app/actions/lti/resource_link.ts).
 */
export default class LtiResourceLink extends BaseModel {
  static table = 'lti_resource_links'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare systemId: number

  @column()
  declare deploymentId: string

  @column()
  declare contextId: string | null

  @column()
  declare contextTitle: string | null

  @column()
  declare contextLabel: string | null

  @column()
  declare resourceLinkId: string

  @column()
  declare resourceLinkTitle: string | null

  @column()
  declare examId: number | null

  @column()
  declare nrpsUrl: string | null

  @column()
  declare agsLineitemUrl: string | null

  @column()
  declare agsLineitemsUrl: string | null

  @column(jsonColumn<string[] | null>(null))
  declare agsScopes: string[] | null

  @column.dateTime({ autoCreate: true })
  declare createdAt: DateTime

  @column.dateTime({ autoCreate: true, autoUpdate: true })
  declare updatedAt: DateTime | null
}
