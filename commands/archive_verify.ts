import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { verifyArchive } from '#actions/audit/verify_archive'

/**
 * node ace archive:verify: checks every seal and link of the action archive and its head file.
 * Exits 1 and names the first bad entry when an entry was changed or deleted anywhere, the
 * newest entries were removed, or the head file was edited, replaced or deleted.
 */
export default class ArchiveVerify extends BaseCommand {
  static commandName = 'archive:verify'
  static description = 'Check that no entry of the action archive was changed or removed'
  static options: CommandOptions = { startApp: true }

  @flags.array({
    description: 'Entry ids of findings already investigated that may be explained by a crash (repeatable)',
    parse: (values) => values.flatMap((value) => value.split(',')),
  })
  declare accept?: string[]

  async run() {
    const accept = (this.accept ?? []).map(Number).filter(Number.isSafeInteger)
    const result = await verifyArchive({ accept })
    for (const finding of result.accepted) this.logger.info(`accepted: ${finding.message}`)
    if (result.ok) {
      const head = result.head ? `; head: entry #${result.head.id}, ${result.head.hash}` : ''
      this.logger.success(`Action archive intact: ${result.checked} entries verified${head}`)
      return
    }
    const [first, ...more] = result.findings
    const where = first.entryId === null ? 'its head file' : `entry ${first.entryId}`
    this.logger.error(`Action archive broken at ${where}: ${first.message}`)
    for (const finding of more) this.logger.error(`also: ${finding.message}`)
    if (result.findings.some((f) => f.acceptable)) {
      this.logger.info('A finding that a crash could explain can be accepted after investigation with --accept=<entry id>')
    }
    this.exitCode = 1
  }
}
