import { BaseSeeder } from '@adonisjs/lucid/seeders'
import Group from '#models/group'
import Discipline from '#models/discipline'
import Exam from '#models/exam'
import Candidate from '#models/candidate'

/** A demo exam with three candidates, so a fresh appliance has something to try. */
export default class DemoSeeder extends BaseSeeder {
  async run() {
    const group = await Group.firstOrCreate({ name: 'ЖМ-21-01' })
    const discipline = await Discipline.firstOrCreate({ name: 'Анатомия', code: 'ANAT-101' })
    await Exam.firstOrCreate(
      { title: 'Анатомия — демонстрационный экзамен' },
      {
        disciplineId: discipline.id,
        durationMinutes: 45,
        violationLimit: 10,
        passThreshold: 70,
        reconnectWindowSeconds: 300,
        requiresScreen: true,
        requiresPhone: false,
        weights: {},
        rules: { allowed: ['calculator'], forbidden: ['phone', 'books', 'other_people'] },
      }
    )
    for (const [fullName, iin, externalId] of [
      ['Абдукаримова Зарина', '010203400123', 'demo-1'],
      ['Анарбек Мерей Қанатқызы', '020304500234', 'demo-2'],
      ['Адилов Айдос Сансызбайұлы', '030405600345', 'demo-3'],
    ]) {
      await Candidate.firstOrCreate({ externalId }, { fullName, iin, groupId: group.id })
    }
  }
}
