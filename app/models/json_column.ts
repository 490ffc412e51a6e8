/** Column options for JSON kept as text in SQLite: parsed on read, stringified on write. */
export function jsonColumn<T>(fallback: T) {
  return {
    prepare: (value: T) => JSON.stringify(value ?? fallback),
    consume: (value: string | null): T => (value ? (JSON.parse(value) as T) : fallback),
  }
}
