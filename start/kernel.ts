import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'

server.errorHandler(() => import('#exceptions/handler'))

server.use([
  () => import('#middleware/container_bindings_middleware'),
  /* public/ files (only URLs under public/'s own top-level names ever touch the disk). */
  () => import('#middleware/public_files_middleware'),
  /* After static files (they get config/static.ts's headers), before routing (404s get these too). */
  () => import('#middleware/security_headers_middleware'),
])

router.use([
  () => import('@adonisjs/core/bodyparser_middleware'),
  () => import('#middleware/detect_locale_middleware'),
  /* Cookie session, Shield and the staff login, for everything but the student API. */
  () => import('#middleware/browser_session_middleware'),
])

export const middleware = router.named({
  staff: () => import('#middleware/staff_middleware'),
  guest: () => import('#middleware/guest_middleware'),
  student: () => import('#middleware/student_session_middleware'),
})
