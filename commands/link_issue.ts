import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { issueLinks } from '#actions/links/issue_links'
import { CONSOLE_ACTOR } from '#actions/staff_users/end_user_sessions'
import AppError from '#exceptions/app_error'

/**
 * node ace link:issue --exam 1 --candidate 1 [--candidate 2 ...] [--hours 72]: issues and
 * stores signed entry links (archived like the panel's) and prints one per line, from APP_URL.
 * Unknown exams or candidates are refused with a non-zero exit and nothing issued.
 */
export default class LinkIssue extends BaseCommand {
  static commandName = 'link:issue'
  static description = 'Issue signed exam links for candidates (stored, archived; printed from APP_URL)'
  static options: CommandOptions = { startApp: true }

  @flags.array({ description: 'Exam id (repeat for several: the student chooses)', required: true })
  declare exam: string[]

  @flags.array({ description: 'Candidate id (repeat or separate with commas for several)', required: true })
  declare candidate: string[]

  @flags.number({ description: 'Hours the link stays valid' })
  declare hours?: number

  private ids(values: string[]) {
    const ids = values.flatMap((value) => String(value).split(',')).map((part) => part.trim())
    return ids.every((id) => /^[1-9][0-9]{0,15}$/.test(id)) ? ids.map(Number) : null
  }

  async run() {
    const examIds = this.ids(this.exam)
    const candidateIds = this.ids(this.candidate)
    if (!examIds) {
      this.logger.error('--exam takes exam ids (numbers)')
      this.exitCode = 1
      return
    }
    if (!candidateIds) {
      this.logger.error('--candidate takes candidate ids (numbers)')
      this.exitCode = 1
      return
    }
    if (this.hours !== undefined && (!Number.isInteger(this.hours) || this.hours < 1 || this.hours > 24 * 30)) {
      this.logger.error('--hours takes a whole number from 1 to 720')
      this.exitCode = 1
      return
    }
    try {
      const links = await issueLinks({ examIds, candidateIds, hours: this.hours }, CONSOLE_ACTOR)
      for (const { url } of links) console.log(url)
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      const ids = error.params.ids ? `: ${error.params.ids}` : ''
      this.logger.error(`${error.code}${ids}`)
      this.exitCode = 1
    }
  }
}
