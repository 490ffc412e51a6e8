import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'

const AuthController = () => import('#controllers/auth_controller')
const ExamPageController = () => import('#controllers/student/exam_page_controller')
const SessionApiController = () => import('#controllers/student/session_api_controller')
const ResultsController = () => import('#controllers/staff/results_controller')
const ReportsController = () => import('#controllers/staff/reports_controller')
const ShortReportsController = () => import('#controllers/staff/short_reports_controller')
const StatisticsController = () => import('#controllers/staff/statistics_controller')
const LinksController = () => import('#controllers/staff/links_controller')
const ExamsController = () => import('#controllers/staff/exams_controller')

router.get('/', ({ response }) => response.redirect('/staff/results'))
router.get('/health', async ({ response }) => response.ok({ status: 'ok' }))

/* Staff login: open to anyone not logged in. */
router
  .group(() => {
    router.get('/login', [AuthController, 'show'])
    router.post('/login', [AuthController, 'login'])
    /* "Forgot password" (P1): the same answer whether the address has an account or not; the link comes by e-mail. */
    router.get('/login/forgot', [() => import('#controllers/password_reset_controller'), 'show'])
    router.post('/login/forgot', [() => import('#controllers/password_reset_controller'), 'store'])
  })
  .use(middleware.guest())
router.post('/logout', [AuthController, 'logout'])

/* Students: the signed link is the only way in; the API wants the session's token. */
router.get('/s/:link', [ExamPageController, 'show'])
router.get('/p/:sessionId/:token', [ExamPageController, 'phone'])
/* Other systems (a university portal): a link signed with the system's own secret, opened once (README "Other systems"). */
router.get('/x/:system/:token', [() => import('#controllers/systems_link_controller'), 'open'])
router
  .group(() => {
    router.post('/attempts', [SessionApiController, 'startAttempt'])
    router.post('/checks', [SessionApiController, 'recordCheck'])
    router.post('/speed-test', [SessionApiController, 'speedTest'])
    router.post('/consent', [SessionApiController, 'consent'])
    router.post('/identity/face', [SessionApiController, 'storeFacePhoto'])
    router.post('/identity/document', [SessionApiController, 'storeDocumentPhoto'])
  })
  .prefix('/api/student/sessions/:sessionId')
  .use(middleware.student())
/* What the page still sends in the moments after the session closed: its last events and totals. */
router
  .group(() => {
    router.post('/attempts/:number/totals', [SessionApiController, 'attemptTotals'])
    router.post('/events', [SessionApiController, 'recordEvent'])
  })
  .prefix('/api/student/sessions/:sessionId')
  .use(middleware.student({ whenClosed: 'grace' }))
router
  .post('/api/student/sessions/:sessionId/finish', [SessionApiController, 'finish'])
  .use(middleware.student({ whenClosed: 'allow' }))
/* The phone-camera page may send its own stream and its sign of life, nothing else. */
router
  .post('/api/student/sessions/:sessionId/heartbeat', [SessionApiController, 'heartbeat'])
  .use(middleware.student({ allow: ['student', 'phone'], whenClosed: 'allow' }))
router
  .post('/api/student/sessions/:sessionId/recordings/:stream/chunks/:seq', [SessionApiController, 'storeChunk'])
  .use(middleware.student({ allow: ['student', 'phone'], whenClosed: 'grace' }))

/* Live video (issue 12): the student's page (and the phone page, for its camera) publishes; it never consumes. */
const StudentLiveController = () => import('#controllers/student/live_controller')
router
  .group(() => {
    router.get('/live/events', [StudentLiveController, 'events'])
    router.post('/live/transport', [StudentLiveController, 'transport'])
    router.post('/live/connect', [StudentLiveController, 'connect'])
    router.post('/live/produce', [StudentLiveController, 'produce'])
  })
  .prefix('/api/student/sessions/:sessionId')
  .use(middleware.student({ allow: ['student', 'phone'] }))
router
  .group(() => {
    router.post('/live/messages', [StudentLiveController, 'sendMessage'])
    router.post('/live/messages/:message/ack', [StudentLiveController, 'acknowledge'])
  })
  .prefix('/api/student/sessions/:sessionId')
  .use(middleware.student())

/* The proctor's live page (P6): watching, chat, warnings, stopping a session. Auditors only read. */
const LiveController = () => import('#controllers/staff/live_controller')
router
  .group(() => {
    router.get('/live', [LiveController, 'index'])
    router.get('/live/picker', [LiveController, 'picker'])
    router.get('/live/state', [LiveController, 'state'])
    router.get('/live/events', [LiveController, 'events'])
    router.post('/live/watch', [LiveController, 'watch'])
    router.post('/live/watch/:id/remove', [LiveController, 'unwatch'])
    router.post('/live/transport', [LiveController, 'transport'])
    router.post('/live/connect', [LiveController, 'connect'])
    router.post('/live/consume', [LiveController, 'consume'])
    router.post('/live/resume', [LiveController, 'resume'])
    router.post('/live/layer', [LiveController, 'layer'])
    router.get('/sessions/:id/live/messages', [LiveController, 'messages'])
    router.post('/sessions/:id/live/messages', [LiveController, 'sendMessage'])
    router.post('/sessions/:id/stop', [LiveController, 'stop'])
  })
  .prefix('/staff')
  .use(middleware.staff({ roles: ['admin', 'proctor'] }))

/* Proctors, admins and auditors read results and reports. */
router
  .group(() => {
    router.get('/results', [ResultsController, 'index'])
    router.get('/results/export', [ResultsController, 'export'])
    router.get('/results/statement.pdf', [ResultsController, 'statement'])
    router.get('/statistics', [StatisticsController, 'index'])
    router.get('/statistics/exams.xlsx', [StatisticsController, 'examsXlsx'])
    router.get('/statistics/candidates.xlsx', [StatisticsController, 'candidatesXlsx'])
    router.get('/sessions/:id', [ReportsController, 'show'])
    router.get('/sessions/:id/progress', [ReportsController, 'progress'])
    router.get('/sessions/:id/short-report', [ShortReportsController, 'print'])
    router.get('/sessions/:id/short-report.pdf', [ShortReportsController, 'pdf'])
    router.post('/sessions/:id/short-report/email', [ShortReportsController, 'email'])
    router.get('/recordings/:id/media', [ReportsController, 'media'])
    router.get('/photos/:id', [ReportsController, 'photo'])
  })
  .prefix('/staff')
  .use(middleware.staff({ roles: ['admin', 'proctor', 'auditor'] }))

/* Proctors and admins mark incidents on a report (auditors change nothing). */
router.post('/staff/sessions/:id/incidents', [ReportsController, 'storeIncident']).use(middleware.staff({ roles: ['admin', 'proctor'] }))

/* A session's decision: every staff role reads its panel (history); proctors and admins set it. */
const DecisionsController = () => import('#controllers/staff/decisions_controller')
router.get('/staff/sessions/:id/decision', [DecisionsController, 'show']).use(middleware.staff({ roles: ['admin', 'proctor', 'auditor'] }))
router.post('/staff/sessions/:id/decision', [DecisionsController, 'store']).use(middleware.staff({ roles: ['admin', 'proctor'] }))
/* The face photo of a session (its thumbnail in the results list), archived like every photo access. */
const SessionPhotosController = () => import('#controllers/staff/session_photos_controller')
router.get('/staff/sessions/:id/photo/face', [SessionPhotosController, 'face']).use(middleware.staff({ roles: ['admin', 'proctor', 'auditor'] }))

/* The action archive: auditors and admins read and verify it; the report's own panel is for every staff role. */
const ArchiveController = () => import('#controllers/staff/archive_controller')
router
  .group(() => {
    router.get('/archive', [ArchiveController, 'index'])
    router.post('/archive/verify', [ArchiveController, 'verify'])
  })
  .prefix('/staff')
  .use(middleware.staff({ roles: ['admin', 'auditor'] }))
router
  .get('/staff/sessions/:id/archive', [ArchiveController, 'session'])
  .use(middleware.staff({ roles: ['admin', 'proctor', 'auditor'] }))

/* Admins only. */
router
  .group(() => {
    router.get('/links', [LinksController, 'index'])
    router.post('/links', [LinksController, 'store'])
    router.post('/links/email', [LinksController, 'email'])
    router.get('/links.xlsx', [LinksController, 'xlsx'])
    router.get('/links.csv', [LinksController, 'csv'])
    router.post('/links/:id/revoke', [LinksController, 'revoke'])
    router.post('/links/:id/retake', [LinksController, 'retake'])
    router.post('/sessions/:id/retake', [LinksController, 'retakeSession'])
  })
  .prefix('/staff')
  .use(middleware.staff({ roles: ['admin'] }))

/* Admins keep the staff accounts; a one-time link lets a staff member choose a password. */
const UsersController = () => import('#controllers/staff/users_controller')
router
  .group(() => {
    router.get('/users', [UsersController, 'index'])
    router.get('/users/new', [UsersController, 'create'])
    router.post('/users', [UsersController, 'store'])
    router.get('/users/:id/edit', [UsersController, 'edit'])
    router.post('/users/:id', [UsersController, 'update'])
    router.post('/users/:id/deactivate', [UsersController, 'deactivate'])
    router.post('/users/:id/password-link', [UsersController, 'passwordLink'])
  })
  .prefix('/staff')
  .use(middleware.staff({ roles: ['admin'] }))
router.get('/staff/password/:token', [UsersController, 'showChoosePassword'])
router.post('/staff/password/:token', [UsersController, 'choosePassword'])

/* Admins set up exams. */
router
  .group(() => {
    router.get('/exams', [ExamsController, 'index'])
    router.get('/exams/new', [ExamsController, 'create'])
    router.post('/exams', [ExamsController, 'store'])
    router.get('/exams/:id/edit', [ExamsController, 'edit'])
    router.post('/exams/:id', [ExamsController, 'update'])
    router.get('/exams/:id/delete', [ExamsController, 'confirmDelete'])
    router.post('/exams/:id/delete', [ExamsController, 'destroy'])
    router.post('/exams/:id/archive', [ExamsController, 'archive'])
  })
  .prefix('/staff')
  .use(middleware.staff({ roles: ['admin'] }))

/* Admins keep the candidates (by hand, or imported from XLSX/CSV). */
const CandidatesController = () => import('#controllers/staff/candidates_controller')
const CandidateImportsController = () => import('#controllers/staff/candidate_imports_controller')
router
  .group(() => {
    router.get('/candidates', [CandidatesController, 'index'])
    router.get('/candidates/new', [CandidatesController, 'create'])
    router.post('/candidates', [CandidatesController, 'store'])
    router.get('/candidates/export.xlsx', [CandidateImportsController, 'exportXlsx'])
    router.get('/candidates/export.csv', [CandidateImportsController, 'exportCsv'])
    router.get('/candidates/template.xlsx', [CandidateImportsController, 'template'])
    router.get('/candidates/import', [CandidateImportsController, 'show'])
    router.post('/candidates/import', [CandidateImportsController, 'upload'])
    router.get('/candidates/import/:upload', [CandidateImportsController, 'preview'])
    router.post('/candidates/import/:upload', [CandidateImportsController, 'apply'])
    router.get('/candidates/:id/edit', [CandidatesController, 'edit']).where('id', router.matchers.number())
    router.post('/candidates/:id', [CandidatesController, 'update']).where('id', router.matchers.number())
    router.post('/candidates/:id/delete', [CandidatesController, 'destroy']).where('id', router.matchers.number())
  })
  .prefix('/staff')
  .use(middleware.staff({ roles: ['admin'] }))

/* Admins keep the reference lists: groups, disciplines, systems (the integrations). */
const DirectoryController = () => import('#controllers/staff/directory_controller')
router
  .group(() => {
    router.get('/directory', [DirectoryController, 'index'])
    router.post('/directory/:kind', [DirectoryController, 'store'])
    router.get('/directory/:kind/:id/edit', [DirectoryController, 'edit'])
    router.post('/directory/:kind/:id', [DirectoryController, 'update'])
    router.post('/directory/:kind/:id/delete', [DirectoryController, 'destroy'])
    /* A system's link or webhook secret, made or remade, shown once (README "Other systems"). */
    router.post('/directory/systems/:id/secrets/:kind', [() => import('#controllers/staff/system_secrets_controller'), 'regenerate'])
    /* A given-up webhook, sent again. */
    router.post('/directory/systems/:id/deliveries/:delivery/retry', [() => import('#controllers/staff/system_secrets_controller'), 'retryDelivery'])
  })
  .prefix('/staff')
  .use(middleware.staff({ roles: ['admin'] }))

/* LTI 1.3 (issue 10): what a platform (Moodle) calls, anonymous and checked by its own signed
   tokens (login initiation and launch are exempt from CSRF in config/shield.ts); the one-time
   ticket of an instructor launch; the admin's registrations page. */
const LtiLaunchController = () => import('#controllers/lti/launch_controller')
const LtiPlatformsController = () => import('#controllers/staff/lti_controller')
router.get('/lti/jwks', [LtiLaunchController, 'jwks'])
router.get('/lti/login', [LtiLaunchController, 'login']).as('lti_launch.login_get')
router.post('/lti/login', [LtiLaunchController, 'login']).as('lti_launch.login_post')
router.post('/lti/launch', [LtiLaunchController, 'launch'])
router.get('/staff/lti/enter/:ticket', [LtiLaunchController, 'enter'])
router.get('/staff/lti/choose/:ticket', [LtiLaunchController, 'showChoice'])
router.post('/staff/lti/choose/:ticket', [LtiLaunchController, 'storeChoice'])
router
  .group(() => {
    router.get('/lti', [LtiPlatformsController, 'index'])
    router.post('/lti', [LtiPlatformsController, 'store'])
    router.get('/lti/:id/edit', [LtiPlatformsController, 'edit']).where('id', router.matchers.number())
    router.post('/lti/:id', [LtiPlatformsController, 'update']).where('id', router.matchers.number())
    router.post('/lti/:id/delete', [LtiPlatformsController, 'destroy']).where('id', router.matchers.number())
    router.post('/lti/keys/rotate', [LtiPlatformsController, 'rotateKeys'])
  })
  .prefix('/staff')
  .use(middleware.staff({ roles: ['admin'] }))

/* LTI services (issue 10): dynamic registration (the URL given to the platform, /lti/register,
   goes on to the admins' page under /staff, where the staff session lives), the teacher's
   deep-linking choice (anonymous: it carries the opaque id of the launch kept on the server,
   hence exempt from CSRF in config/shield.ts), and the courses page (roster import, grades back). */
const LtiRegistrationController = () => import('#controllers/lti/registration_controller')
const LtiDeepLinkingController = () => import('#controllers/lti/deep_linking_controller')
const LtiCoursesController = () => import('#controllers/staff/lti_courses_controller')
router.get('/lti/register', [LtiRegistrationController, 'redirect'])
router
  .group(() => {
    router.get('/staff/lti/register', [LtiRegistrationController, 'show'])
    router.post('/staff/lti/register', [LtiRegistrationController, 'store'])
  })
  .use(middleware.staff({ roles: ['admin'] }))
router.post('/lti/deep-link/:token', [LtiDeepLinkingController, 'store'])
router
  .group(() => {
    router.get('/lti/courses', [LtiCoursesController, 'index'])
    router.post('/lti/courses/:id/roster', [LtiCoursesController, 'roster']).where('id', router.matchers.number())
    router.post('/lti/courses/:id/grades', [LtiCoursesController, 'grades']).where('id', router.matchers.number())
    router.post('/lti/courses/:id/exam', [LtiCoursesController, 'exam']).where('id', router.matchers.number())
    router.post('/lti/grades/:session/retry', [LtiCoursesController, 'retryGrade'])
  })
  .prefix('/staff')
  .use(middleware.staff({ roles: ['admin'] }))

/* E-mail (issue 11, O2): the SMTP server's settings, a test e-mail and the outbox log (admins). */
const MailController = () => import('#controllers/staff/mail_controller')
router
  .group(() => {
    router.get('/mail', [MailController, 'index'])
    router.post('/mail', [MailController, 'update'])
    router.post('/mail/test', [MailController, 'test'])
  })
  .prefix('/staff')
  .use(middleware.staff({ roles: ['admin'] }))
