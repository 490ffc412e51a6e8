/** Column options for JSON kept as text in SQLite: parsed on read, stringified on write. */
export function jsonColumn<T>(fallback: T) {
  return {
    prepare: (value: T) => JSON.stringify(value ?? fallback),
    consume: (value: string | null): T => (value ? (JSON.parse(value) as T) : fallback),
  }
}

/** SQLite keeps booleans as 0/1: read them back as booleans. */
export const booleanColumn = {
  consume: (value: unknown) => (value === null || value === undefined ? value : Boolean(value)),
}
