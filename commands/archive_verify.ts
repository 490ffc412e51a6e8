import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { verifyArchive } from '#actions/audit/record_action'

/** node ace archive:verify: recomputes the action archive's hash chain. */
export default class ArchiveVerify extends BaseCommand {
  static commandName = 'archive:verify'
  static description = 'Check that no entry of the action archive was changed or removed'
  static options: CommandOptions = { startApp: true }

  async run() {
    const result = await verifyArchive()
    if (result.ok) {
      this.logger.success(`Action archive intact: ${result.checked} entries verified`)
    } else {
      this.logger.error(`Action archive broken at entry ${result.brokenAt} (after ${result.checked} good entries)`)
      this.exitCode = 1
    }
  }
}
