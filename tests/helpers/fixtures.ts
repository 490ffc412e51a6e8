import Exam from '#models/exam'
import Group from '#models/group'
import User, { type StaffRole } from '#models/user'
import Candidate from '#models/candidate'
import { issueStudentLink } from '#actions/sessions/student_link'

let counter = 0

/** A new exam and candidate, and the signed link that brings that candidate in. */
export async function examWithCandidate(overrides: Partial<Exam> = {}) {
  counter++
  const group = await Group.firstOrCreate({ name: 'Тест-01' })
  const exam = await Exam.create({
    title: `Экзамен ${counter}`,
    durationMinutes: 30,
    violationLimit: 0,
    passThreshold: 70,
    reconnectWindowSeconds: 300,
    requiresScreen: true,
    requiresPhone: false,
    weights: {},
    rules: { allowed: [], forbidden: [] },
    ...overrides,
  })
  const candidate = await Candidate.create({
    fullName: `Студент Тестовый ${counter}`,
    groupId: group.id,
    externalId: `test-${counter}-${Date.now()}`,
  })
  return { exam, candidate, link: issueStudentLink(exam.id, candidate.id).path }
}

export async function staffUser(role: StaffRole, password = 'correct horse battery') {
  counter++
  const user = await User.create({
    email: `${role}${counter}@test.kz`,
    password,
    fullName: `${role} ${counter}`,
    role,
    active: true,
  })
  return { user, password }
}

/** The page config a student link renders (session id, bearer token). */
export function studentConfigFrom(html: string): { sessionId: string; token: string } {
  const match = /<script type="application\/json" id="student-config">(.*?)<\/script>/s.exec(html)
  if (!match) throw new Error('the student page has no config block')
  return JSON.parse(match[1])
}
