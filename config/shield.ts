import { defineConfig } from '@adonisjs/shield'

const shieldConfig = defineConfig({
  csp: { enabled: false, directives: {}, reportOnly: false }, // see xFrame below
  csrf: {
    enabled: true,
    /* The student API authenticates with a per-session bearer token, never a cookie. The
       candidate import's multipart upload is read only after the login check, so its
       controller checks the token itself (candidate_imports_controller.ts, requireCsrf). The LTI
       login initiation and launch are posted by the platform's pages (app/services/lti/launch.ts). */
    exceptRoutes: (ctx) =>
      ctx.request.url().startsWith('/api/student/') ||
      ctx.request.url() === '/staff/candidates/import' ||
      /* LTI: the platform's cross-site posts, checked by their own signed id_token and server-side state. */
      ctx.request.url() === '/lti/login' ||
      ctx.request.url() === '/lti/launch' ||
      /* LTI deep linking: the teacher's choice carries the opaque id of the launch kept on the server. */
      ctx.request.url().startsWith('/lti/deep-link/'),
    enableXsrfCookie: false,
    methods: ['POST', 'PUT', 'PATCH', 'DELETE'],
  },
  /*
   * CSP, X-Frame-Options and nosniff come from app/middleware/security_headers_middleware.ts
   * (every answer, 404s and error pages included) and config/static.ts (public/ files);
   * shield, a router middleware, would reach only matched routes. One source, one value.
   */
  xFrame: { enabled: false },
  hsts: { enabled: false, maxAge: '180 days' },
  contentTypeSniffing: { enabled: false },
})

export default shieldConfig
