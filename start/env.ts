import { Env } from '@adonisjs/core/env'

/** Every setting the appliance reads from its environment (.env beside ace.js). */
export default await Env.create(new URL('../', import.meta.url), {
  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),
  PORT: Env.schema.number(),
  HOST: Env.schema.string({ format: 'host' }),
  APP_KEY: Env.schema.secret(),
  APP_URL: Env.schema.string(),
  LOG_LEVEL: Env.schema.string.optional(),
  /** Where staff login sessions live: database (default; ends on logout everywhere), cookie, memory. */
  SESSION_DRIVER: Env.schema.enum.optional(['database', 'cookie', 'memory'] as const),
  /** A staff session ends after this many minutes without a request (default 60). */
  SESSION_IDLE_MINUTES: Env.schema.number.optional(),
  /** A staff session ends this many hours after login, however busy (default 12). */
  SESSION_MAX_HOURS: Env.schema.number.optional(),
  /** Login attempts for one e-mail within a minute before it is refused (default 10). */
  LOGIN_ATTEMPTS_PER_ACCOUNT: Env.schema.number.optional(),
  /** Failed logins from one address within a minute, across accounts (default 30). */
  LOGIN_ATTEMPTS_PER_ADDRESS: Env.schema.number.optional(),
  /** How long a throttled account or address is refused, in minutes (default 15). */
  LOGIN_BLOCK_MINUTES: Env.schema.number.optional(),
  /** Folder holding the SQLite file, recordings and photos. */
  DATA_DIR: Env.schema.string.optional(),
  DB_FILE: Env.schema.string.optional(),
  /** Largest accepted recording chunk, in bytes (default 16 MiB). */
  CHUNK_MAX_BYTES: Env.schema.number.optional(),
  /** Lifetime of a signed student link, in hours (default 72). */
  STUDENT_LINK_TTL_HOURS: Env.schema.number.optional(),
  /** How often abandoned sessions are looked for (node-cron, with seconds). */
  SWEEP_CRON: Env.schema.string.optional(),
  ANALYSIS_WINDOW_CHUNKS: Env.schema.number.optional(),
  FACE_MATCH_MIN_SIMILARITY: Env.schema.number.optional(),
  /** Identity photos: longest side and width x height accepted, read from the header (default 4096, 4096x4096). */
  PHOTO_MAX_SIDE: Env.schema.number.optional(),
  PHOTO_MAX_PIXELS: Env.schema.number.optional(),
  /** Threads per web process that decode photos and run the face model (default 1). */
  FACE_THREADS: Env.schema.number.optional(),
  DEFAULT_LOCALE: Env.schema.enum.optional(['kk', 'ru', 'en'] as const),
  /** Seconds after a session closes during which its last chunks, events and totals are still taken (default 120). */
  CLOSED_SESSION_GRACE_SECONDS: Env.schema.number.optional(),
  /** Minutes without a request after which a user's next request for a recording or photo is a new archived viewing (default 30). */
  ARCHIVE_VIEWING_IDLE_MINUTES: Env.schema.number.optional(),
  /** Key of the action archive's HMAC chain (at least 32 characters); unset, derived from APP_KEY. */
  ARCHIVE_KEY: Env.schema.secret.optional(),
  /** Reverse proxies whose X-Forwarded-For is believed (IPs/CIDRs, comma-separated; empty: none). */
  TRUSTED_PROXIES: Env.schema.string.optional(),
  /** Webhooks to other systems: pause before the 2nd try in ms, doubled each time (default 30000); tries in all (default 8); each request's timeout in ms (default 10000). */
  WEBHOOK_RETRY_BASE_MS: Env.schema.number.optional(),
  WEBHOOK_MAX_ATTEMPTS: Env.schema.number.optional(),
  WEBHOOK_TIMEOUT_MS: Env.schema.number.optional(),
  /** E-mail (the SMTP server is set in the panel): pause before the 2nd try in ms, doubled each time (default 60000); tries in all (default 6); each try's timeout in ms (default 20000). */
  MAIL_RETRY_BASE_MS: Env.schema.number.optional(),
  MAIL_MAX_ATTEMPTS: Env.schema.number.optional(),
  MAIL_TIMEOUT_MS: Env.schema.number.optional(),
  /** LTI 1.3: seconds of clock difference allowed on a platform's token times (exp, iat; default 60). */
  LTI_CLOCK_SKEW_SECONDS: Env.schema.number.optional(),
  /** The daily digest to admins (O1): when it goes out, "HH:mm" local time (default 07:00), or "off". */
  DIGEST_AT: Env.schema.string.optional(),
  /** Live video (mediasoup): the worker binary (scripts/mediasoup_worker.sh prints it); workers (default: one per core). */
  MEDIASOUP_WORKER_BIN: Env.schema.string.optional(),
  LIVE_WORKERS: Env.schema.number.optional(),
  /** Where the workers listen (default 0.0.0.0), the address browsers reach (default: APP_URL's host), and the port of worker 0 (worker i: LIVE_PORT + i, UDP and TCP; default 40000). */
  LIVE_LISTEN_IP: Env.schema.string.optional(),
  LIVE_ANNOUNCED_ADDRESS: Env.schema.string.optional(),
  LIVE_PORT: Env.schema.number.optional(),
  /** TURN (coturn) for students behind NAT: its URLs (comma-separated; empty: none), its static-auth-secret, and how long a credential lasts (default 3600 s). */
  TURN_URLS: Env.schema.string.optional(),
  TURN_SECRET: Env.schema.secret.optional(),
  TURN_TTL_SECONDS: Env.schema.number.optional(),
  /** "relay": browsers reach the SFU only through TURN (networks that let nothing else out); "all" (default): directly when they can. */
  LIVE_ICE_POLICY: Env.schema.enum.optional(['all', 'relay'] as const),
})
