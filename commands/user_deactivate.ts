import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import User from '#models/user'
import { deactivateUser } from '#actions/staff_users/deactivate_user'

/** node ace user:deactivate --email a@b.kz : the account can no longer log in, its sessions end now. */
export default class UserDeactivate extends BaseCommand {
  static commandName = 'user:deactivate'
  static description = 'Disable a staff account and end all its sessions at once'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Login e-mail', required: true })
  declare email: string

  async run() {
    const email = this.email.trim().toLowerCase()
    const user = await User.findBy('email', email)
    if (!user) {
      this.logger.error(`No staff account ${email}`)
      this.exitCode = 1
      return
    }
    const { sessionsEnded } = await deactivateUser(user)
    this.logger.success(`Staff account ${email} disabled; ${sessionsEnded} session(s) ended`)
  }
}
