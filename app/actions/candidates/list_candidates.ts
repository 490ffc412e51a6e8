import Candidate from '#models/candidate'

export type CandidateFilters = { q: string; group: number | null }

/**
 * The candidates list, as the page and the export read it: by name, then id; `q` finds a
 * part of the name, e-mail or external id, or the IIN (whole or its start); `group` one group.
 */
export function candidatesQuery(filters: CandidateFilters) {
  const query = Candidate.query().preload('group').orderBy('fullName').orderBy('id')
  if (filters.q) {
    const like = `%${filters.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    query.where((where) =>
      where
        .whereRaw("full_name LIKE ? ESCAPE '\\'", [like])
        .orWhereRaw("email LIKE ? ESCAPE '\\'", [like])
        .orWhereRaw("external_id LIKE ? ESCAPE '\\'", [like])
        .orWhereRaw("iin LIKE ? ESCAPE '\\'", [`${filters.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`])
    )
  }
  if (filters.group) query.where('groupId', filters.group)
  return query
}
