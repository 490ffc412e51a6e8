/* @alpinejs/csp ships no types; the panel uses only Alpine.data and Alpine.start. */
declare module '@alpinejs/csp' {
  const Alpine: {
    data(name: string, component: () => Record<string, unknown>): void
    start(): void
  }
  export default Alpine
}
