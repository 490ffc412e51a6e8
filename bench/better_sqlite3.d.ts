/* Lucid bundles better-sqlite3 without types; the bench reads the database directly. */
declare module 'better-sqlite3' {
  const Database: any
  export default Database
}
