/**
 * The security headers of every answer: pages and API answers (security_headers_middleware),
 * static files (config/static.ts). Kept in one place so that both say the same thing.
 *
 * The policy allows scripts and styles only from the appliance itself: no inline script,
 * no eval (Alpine runs as its CSP build, htmx with allowEval off), no inline style.
 * Nothing may frame any page ('none' + X-Frame-Options DENY): the panel and the login page
 * against clickjacking, and the student pages too, since they are opened top-level (the exam
 * page from its link or the LMS in a new window, the phone page from a QR code) and must
 * not be framed by a page that could cover the "finish" button.
 */
export type PolicyOptions = {
  /** Origins this page may show in an iframe (the exam page: the LMS quiz). Default: none. */
  frameSrc?: string[]
}

export function contentSecurityPolicy({ frameSrc = [] }: PolicyOptions = {}) {
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    /* blob: is the student's own photo, shown back before it is sent. */
    'img-src': ["'self'", 'blob:'],
    'media-src': ["'self'"],
    'connect-src': ["'self'"],
    'font-src': ["'self'"],
    'worker-src': ["'self'"],
    'frame-src': frameSrc.length ? frameSrc : ["'none'"],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  }
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ')
}

/**
 * The origin of a URL when it can stand in a CSP source list as it is (http or https, a
 * plain host name or IP, an optional port); null otherwise. A URL parser lets through
 * characters such as ";" in host names, which would end the directive and start another.
 */
export function frameableOrigin(url: string | null | undefined) {
  if (!url) return null
  try {
    const origin = new URL(url).origin
    return /^https?:\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/i.test(origin) ? origin : null
  } catch {
    return null
  }
}

/** Headers every answer carries, static files included. */
const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  /* Same-origin requests keep their Referer (redirect().back() needs it); other sites get none. */
  'Referrer-Policy': 'same-origin',
}

/**
 * Pages and API answers: all of them may hold personal data (names, recordings, tokens),
 * including error pages, so none is kept by a browser or a proxy cache.
 */
export const PAGE_HEADERS: Record<string, string> = {
  ...COMMON_HEADERS,
  'Content-Security-Policy': contentSecurityPolicy(),
  'Cache-Control': 'no-store',
}

/**
 * Static files (public/): cacheable (serve-static's own Cache-Control with ETag), never
 * sniffed into another type. A file opened on its own (the SVG icon) may run nothing.
 */
export const STATIC_HEADERS: Record<string, string> = {
  ...COMMON_HEADERS,
  'Content-Security-Policy': "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'",
}
