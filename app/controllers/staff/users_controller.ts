import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import User, { STAFF_ROLES } from '#models/user'
import Exam from '#models/exam'
import Group from '#models/group'
import AppError from '#exceptions/app_error'
import type { Actor } from '#actions/audit/record_action'
import { createUser, updateUser } from '#actions/staff_users/save_user'
import { deactivateUser } from '#actions/staff_users/deactivate_user'
import { issuePasswordLink, readPasswordLink, usePasswordLink, PASSWORD_LINK_HOURS } from '#actions/staff_users/password_link'
import { scopeRows } from '#services/staff_scope'
import { idParam, validateForm } from '#validators/request_input'
import { choosePasswordValidator, createUserValidator, updateUserValidator } from '#validators/users'

function actorOf(ctx: HttpContext): Actor {
  const user = ctx.auth.use('web').user!
  return { userId: user.id, name: user.fullName, iin: user.iin, role: user.role }
}

function isPlainForm(ctx: HttpContext) {
  return !ctx.request.header('hx-request') && ctx.request.accepts(['html', 'json']) === 'html'
}

/** Which fields a validation error names, with the rule that failed (an array's items count for the array). */
function fieldsOf(error: InstanceType<typeof vineErrors.E_VALIDATION_ERROR>) {
  const fields: Record<string, string> = {}
  for (const message of error.messages as { field: string; rule: string }[]) {
    fields[String(message.field).split('.')[0]] ??= message.rule
  }
  return fields
}

const list = (value: unknown) => (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(Number).filter(Number.isInteger)

/** Staff accounts (admins only): list, create, role and scope, deactivate, a one-time password link. */
export default class UsersController {
  private async choices() {
    const [exams, groups] = await Promise.all([Exam.query().orderBy('title'), Group.query().orderBy('name')])
    return { exams, groups, roles: STAFF_ROLES }
  }

  private async findUser(ctx: HttpContext) {
    const id = idParam(ctx.params.id)
    const user = id ? await User.find(id) : null
    if (!user) throw AppError.notFound('USER_NOT_FOUND')
    return user
  }

  async index({ view, session }: HttpContext) {
    const users = await User.query().orderBy('active', 'desc').orderBy('fullName')
    const logins: { user_id: number; last: string }[] = await db
      .from('audit_entries')
      .where('action', 'auth.login')
      .whereNotNull('user_id')
      .groupBy('user_id')
      .select('user_id')
      .max('created_at as last')
    const lastLogin = new Map(logins.map((row) => [Number(row.user_id), DateTime.fromISO(String(row.last))]))
    const scopes: { user_id: number; exam_id: number | null; group_id: number | null }[] = await db.from('staff_scopes').select('user_id', 'exam_id', 'group_id')
    const limited = new Map<number, number>()
    for (const row of scopes) limited.set(row.user_id, (limited.get(row.user_id) ?? 0) + 1)
    return view.render('pages/staff/users', {
      users: users.map((user) => ({ user, lastLogin: lastLogin.get(user.id) ?? null, scopeCount: limited.get(user.id) ?? 0 })),
      notice: session?.flashMessages.get('usersNotice') ?? null,
    })
  }

  async create({ view }: HttpContext) {
    return view.render('pages/staff/users_form', {
      ...(await this.choices()),
      editing: null,
      form: { fullName: '', email: '', role: 'proctor', examIds: [], groupIds: [] },
      fieldErrors: {},
    })
  }

  async store(ctx: HttpContext) {
    const { request, response, view } = ctx
    let fields
    try {
      fields = await validateForm(request, createUserValidator)
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR) || !isPlainForm(ctx)) throw error
      const body = request.body()
      response.status(422)
      return view.render('pages/staff/users_form', {
        ...(await this.choices()),
        editing: null,
        form: { fullName: String(body.fullName ?? ''), email: String(body.email ?? ''), role: String(body.role ?? ''), examIds: list(body.examIds), groupIds: list(body.groupIds) },
        fieldErrors: fieldsOf(error),
      })
    }
    const user = await createUser(fields, actorOf(ctx), request.ip())
    const link = await issuePasswordLink(user, actorOf(ctx), request.ip())
    if (!isPlainForm(ctx)) return response.created({ id: user.id, passwordLink: link.url })
    return view.render('pages/staff/users_link', { target: user, link, hours: PASSWORD_LINK_HOURS, created: true })
  }

  async edit(ctx: HttpContext) {
    const user = await this.findUser(ctx)
    const rows = await scopeRows(user.id)
    return ctx.view.render('pages/staff/users_form', {
      ...(await this.choices()),
      editing: user,
      form: {
        fullName: user.fullName,
        email: user.email,
        role: user.role,
        examIds: rows.filter((r: any) => r.exam_id !== null).map((r: any) => Number(r.exam_id)),
        groupIds: rows.filter((r: any) => r.group_id !== null).map((r: any) => Number(r.group_id)),
      },
      fieldErrors: {},
    })
  }

  async update(ctx: HttpContext) {
    const { request, response, view, session } = ctx
    const user = await this.findUser(ctx)
    let fields
    try {
      fields = await validateForm(request, updateUserValidator)
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR) || !isPlainForm(ctx)) throw error
      const body = request.body()
      response.status(422)
      return view.render('pages/staff/users_form', {
        ...(await this.choices()),
        editing: user,
        form: { fullName: user.fullName, email: user.email, role: String(body.role ?? ''), examIds: list(body.examIds), groupIds: list(body.groupIds) },
        fieldErrors: fieldsOf(error),
      })
    }
    if (user.id === ctx.auth.use('web').user!.id && fields.role !== 'admin') throw AppError.conflict('USER_SELF')
    await updateUser(user, fields, actorOf(ctx), request.ip())
    if (!isPlainForm(ctx)) return response.ok({ id: user.id, role: user.role })
    session.flash('usersNotice', 'saved')
    return response.redirect('/staff/users')
  }

  async deactivate(ctx: HttpContext) {
    const user = await this.findUser(ctx)
    if (user.id === ctx.auth.use('web').user!.id) throw AppError.conflict('USER_SELF')
    if (!user.active) throw AppError.conflict('USER_INACTIVE')
    const { sessionsEnded } = await deactivateUser(user, actorOf(ctx), ctx.request.ip())
    if (!isPlainForm(ctx)) return ctx.response.ok({ id: user.id, sessionsEnded })
    ctx.session.flash('usersNotice', 'deactivated')
    return ctx.response.redirect('/staff/users')
  }

  async passwordLink(ctx: HttpContext) {
    const user = await this.findUser(ctx)
    const link = await issuePasswordLink(user, actorOf(ctx), ctx.request.ip())
    if (!isPlainForm(ctx)) return ctx.response.created({ passwordLink: link.url })
    return ctx.view.render('pages/staff/users_link', { target: user, link, hours: PASSWORD_LINK_HOURS, created: false })
  }

  /** The page behind a one-time link: anyone holding it may choose the password, once. */
  async showChoosePassword({ params, view, response }: HttpContext) {
    response.header('Referrer-Policy', 'no-referrer')
    response.header('Cache-Control', 'no-store')
    const target = await readPasswordLink(String(params.token))
    return view.render('pages/staff/users_password', { target, token: String(params.token), fieldErrors: {} })
  }

  async choosePassword(ctx: HttpContext) {
    const { params, request, response, view } = ctx
    response.header('Referrer-Policy', 'no-referrer')
    response.header('Cache-Control', 'no-store')
    const token = String(params.token)
    const target = await readPasswordLink(token)
    let fields
    try {
      fields = await validateForm(request, choosePasswordValidator)
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR) || !isPlainForm(ctx)) throw error
      response.status(422)
      return view.render('pages/staff/users_password', { target, token, fieldErrors: fieldsOf(error) })
    }
    await usePasswordLink(token, fields.password, request.ip())
    if (!isPlainForm(ctx)) return response.ok({ changed: true })
    return response.redirect('/login')
  }
}
