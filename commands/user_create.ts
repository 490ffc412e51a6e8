import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import User, { STAFF_ROLES, type StaffRole } from '#models/user'
import { changePassword } from '#actions/staff_users/change_password'

/** node ace user:create --email a@b.kz --name "..." --role admin [--password ...] */
export default class UserCreate extends BaseCommand {
  static commandName = 'user:create'
  static description = 'Create a staff account (admin, proctor or auditor), or reset its password'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Login e-mail', required: true })
  declare email: string

  @flags.string({ description: 'Full name (an existing account keeps its own when left out)' })
  declare name?: string

  @flags.string({ description: 'admin | proctor | auditor', default: 'admin' })
  declare role: string

  @flags.string({ description: 'Password (asked for when left out)' })
  declare password?: string

  @flags.boolean({ description: 'Leave an existing account as it is' })
  declare onlyNew?: boolean

  async run() {
    if (!(STAFF_ROLES as readonly string[]).includes(this.role)) {
      this.logger.error(`Unknown role "${this.role}". Use one of: ${STAFF_ROLES.join(', ')}`)
      this.exitCode = 1
      return
    }
    const email = this.email.trim().toLowerCase()
    const existing = await User.findBy('email', email)
    if (existing && this.onlyNew) {
      this.logger.info(`Staff account ${email} exists; left as it is`)
      return
    }
    const password = this.password ?? (await this.prompt.secure('Password'))
    if (!password || password.length < 8) {
      this.logger.error('The password must be at least 8 characters long')
      this.exitCode = 1
      return
    }
    const role = this.role as StaffRole
    if (!existing) {
      const user = await User.create({ email, password, fullName: this.name || email, role, active: true })
      this.logger.success(`Staff account ${user.email} (${user.role}) created`)
      return
    }
    existing.merge({ fullName: this.name || existing.fullName, role, active: true })
    await existing.save()
    /* A new password ends every session the account has open. */
    const { sessionsEnded } = await changePassword(existing, password)
    this.logger.success(`Staff account ${existing.email} (${existing.role}) updated; ${sessionsEnded} session(s) ended`)
  }
}
