import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import env from '#start/env'
import { issueStudentLink } from '#actions/sessions/student_link'

/** node ace link:issue --exam 1 --candidate 1 [--hours 72]: prints a signed student link. */
export default class LinkIssue extends BaseCommand {
  static commandName = 'link:issue'
  static description = 'Print a signed exam link for one candidate'
  static options: CommandOptions = { startApp: true }

  @flags.array({ description: 'Exam id (repeat for several: the student chooses)', required: true })
  declare exam: string[]

  @flags.number({ description: 'Candidate id', required: true })
  declare candidate: number

  @flags.number({ description: 'Hours the link stays valid' })
  declare hours?: number

  async run() {
    const examIds = this.exam.flatMap((value) => String(value).split(',')).map(Number)
    if (examIds.some((id) => !Number.isInteger(id))) {
      this.logger.error('--exam takes exam ids (numbers)')
      this.exitCode = 1
      return
    }
    const link = issueStudentLink(examIds, this.candidate, this.hours)
    console.log(`${env.get('APP_URL')}${link.path}`)
  }
}
