import { Device } from 'mediasoup-client'
import type { types } from 'mediasoup-client'
import { chime, readEvents, transportOptions } from '../live_stream.js'
import type { Tile } from '../../../app/actions/live/watch_list.js'
import type { LiveMessage as Message } from '../../../app/actions/live/messages.js'

/*
| The proctor's live page (P6, issue 12): tiles of the watched students' live video (the small
| simulcast layer; the larger one when a tile is enlarged), their status and violations, the
| feed of new violations, the chat with one student, warnings and "stop the session". The
| video comes from the SFU through one receive transport per exam; after an SFU restart or a
| dropped event stream everything is subscribed again without reloading the page.
*/

type Source = 'webcam' | 'screen' | 'phone'

type TileView = {
  data: Tile
  el: HTMLElement
  videos: Record<Source, HTMLVideoElement>
  consumers: Map<Source, types.Consumer>
  pending: Set<Source>
  large: boolean
  fresh: number
  unread: number
}

const config = JSON.parse(document.getElementById('live-config')!.textContent!) as { mode: 'camera' | 'camera_screen'; tiles: Tile[]; locale: string }
const i18n = JSON.parse(document.getElementById('live-i18n')!.textContent!) as { violation: Record<string, string>; text: Record<string, string>; plurals: Record<string, Record<string, string>> }
const text = i18n.text
const csrf = JSON.parse(document.body.getAttribute('hx-headers') ?? '{}')['x-csrf-token'] as string
const sources: Source[] = config.mode === 'camera_screen' ? ['webcam', 'screen', 'phone'] : ['webcam']

const $ = <T extends HTMLElement = HTMLElement>(selector: string, root: ParentNode = document) => root.querySelector<T>(selector)!
const tilesBox = $('[data-role="tiles"]')
const tiles = new Map<number, TileView>()
const device = new Device()
const transports = new Map<number, Promise<types.Transport>>()
let peerId: string | null = null
let chatWith: TileView | null = null
let feedAfter = 0

const pluralRules = new Intl.PluralRules(config.locale)
/** A counted phrase ("3 students") in the page's language. */
function counted(key: string, count: number) {
  const forms = i18n.plurals[key] ?? {}
  return fill(forms[pluralRules.select(count)] ?? forms.other ?? Object.values(forms)[0] ?? '{count}', { count })
}

function fill(template: string, values: Record<string, string | number>) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ''))
}

async function post(url: string, body: unknown) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, 'accept': 'application/json' },
    body: JSON.stringify(body),
  })
  if (response.status === 401 || response.redirected) window.location.reload()
  return response
}

function examTitle(tile: Tile) {
  const own = { kk: tile.exam.titleKk, ru: tile.exam.titleRu, en: tile.exam.titleEn }[config.locale as 'kk' | 'ru' | 'en']
  return own || tile.exam.titleRu || tile.exam.titleKk || tile.exam.titleEn || tile.exam.title
}

function timeOf(iso: string) {
  return new Date(iso).toLocaleTimeString(config.locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
}

/* ------------------------------------------------------------------ tiles */

function button(action: string, label: string, symbol: string) {
  const b = document.createElement('button')
  b.type = 'button'
  b.className = 'tile-btn'
  b.dataset.action = action
  b.setAttribute('aria-label', label)
  b.title = label
  b.textContent = symbol
  return b
}

function addTile(data: Tile) {
  if (tiles.has(data.id)) return tiles.get(data.id)!
  const el = document.createElement('article')
  el.className = 'tile'
  el.dataset.session = data.publicId
  el.tabIndex = 0
  const videos = {} as Record<Source, HTMLVideoElement>
  for (const source of sources) {
    const video = document.createElement('video')
    video.className = `tile-video tile-${source}`
    video.autoplay = true
    video.muted = true
    video.playsInline = true
    video.dataset.source = source
    video.hidden = true
    videos[source] = video
    el.append(video)
  }
  const head = document.createElement('div')
  head.className = 'tile-head'
  head.innerHTML = '<span class="tile-dot"></span><span class="tile-name"></span><span class="tile-count" data-role="violations"></span><span class="tile-unread" hidden></span>'
  const foot = document.createElement('div')
  foot.className = 'tile-foot'
  foot.innerHTML = '<span class="tile-status"></span><span class="tile-latest"></span>'
  const tools = document.createElement('div')
  tools.className = 'tile-tools'
  tools.append(button('enlarge', text.enlarge, '⤢'), button('chat', text.chat, '✉'), button('close', text.close_tile, '✕'))
  const offline = document.createElement('div')
  offline.className = 'tile-offline'
  offline.textContent = text.no_video
  el.append(offline, head, foot, tools)
  const view: TileView = { data, el, videos, consumers: new Map(), pending: new Set(), large: false, fresh: 0, unread: 0 }
  tiles.set(data.id, view)
  tilesBox.append(el)
  renderTile(view, data)
  renderCount()
  return view
}

function renderTile(view: TileView, data: Tile) {
  const grew = data.violations - view.data.violations
  if (grew > 0) view.fresh += grew
  view.data = data
  const { el } = view
  $('.tile-name', el).textContent = data.candidate
  el.setAttribute('aria-label', `${data.candidate} · ${examTitle(data)}`)
  $('.tile-count', el).textContent = String(data.violations)
  $('.tile-count', el).setAttribute('title', counted('violations', data.violations))
  $('.tile-status', el).textContent = (data.endReason && text[`end_${data.endReason}`]) || text[`status_${data.status}`] || data.status
  $('.tile-latest', el).textContent = data.latest ? `${i18n.violation[data.latest.type] ?? data.latest.type} · ${timeOf(data.latest.at)}` : ''
  el.dataset.status = data.status
  el.classList.toggle('has-new', view.fresh > 0)
  el.classList.toggle('has-violations', data.violations > 0)
  el.classList.toggle('has-video', view.consumers.size > 0)
  const unread = $('.tile-unread', el)
  unread.hidden = view.unread === 0
  unread.textContent = `✉ ${view.unread}`
  sortTiles()
}

function renderCount() {
  $('[data-role="tile-count"]').textContent = counted('tile_count', tiles.size)
  $('[data-role="tiles-empty"]').hidden = tiles.size > 0
}

/** "New violations first": tiles with violations the proctor has not looked at, latest first (CSS order keeps the videos playing). */
function sortTiles() {
  const newFirst = $<HTMLInputElement>('[data-role="sort-new"]').checked
  const ranked = [...tiles.values()].sort((a, b) => {
    if (!newFirst) return 0
    if ((b.fresh > 0 ? 1 : 0) !== (a.fresh > 0 ? 1 : 0)) return (b.fresh > 0 ? 1 : 0) - (a.fresh > 0 ? 1 : 0)
    return (b.data.latest?.at ?? '').localeCompare(a.data.latest?.at ?? '')
  })
  ranked.forEach((view, index) => (view.el.style.order = newFirst ? String(index) : ''))
}

function removeTile(view: TileView) {
  for (const consumer of view.consumers.values()) consumer.close()
  view.el.remove()
  tiles.delete(view.data.id)
  if (chatWith === view) closeChat()
  renderCount()
}

async function toggleLarge(view: TileView) {
  view.large = !view.large
  view.el.classList.toggle('large', view.large)
  $('[data-action="enlarge"]', view.el).setAttribute('aria-pressed', String(view.large))
  view.fresh = 0
  renderTile(view, view.data)
  for (const consumer of view.consumers.values()) {
    await post('/staff/live/layer', { peerId, consumerId: consumer.id, large: view.large })
  }
}

/* ------------------------------------------------------------------ video */

function recvTransport(examId: number, session: string) {
  let transport = transports.get(examId)
  if (!transport) {
    transport = (async () => {
      const response = await post('/staff/live/transport', { peerId, session })
      if (!response.ok) throw new Error(`transport ${response.status}`)
      const params = await response.json()
      const created = device.createRecvTransport(await transportOptions(device, params))
      const owner = peerId
      created.on('connect', ({ dtlsParameters }, done, fail) => {
        post('/staff/live/connect', { peerId: owner, transportId: created.id, dtlsParameters }).then(
          (answer) => (answer.ok ? done() : fail(new Error(`connect ${answer.status}`))),
          fail
        )
      })
      created.on('connectionstatechange', (state) => {
        if (state === 'failed') dropTransport(examId)
      })
      return created
    })()
    transports.set(examId, transport)
    transport.catch(() => transports.delete(examId))
  }
  return transport
}

function dropTransport(examId: number) {
  const transport = transports.get(examId)
  transports.delete(examId)
  void transport?.then((t) => t.close()).catch(() => undefined)
  for (const view of tiles.values()) {
    if (view.data.examId !== examId) continue
    for (const [source, consumer] of view.consumers) dropConsumer(view, source, consumer)
  }
}

function dropConsumer(view: TileView, source: Source, consumer?: types.Consumer) {
  const current = view.consumers.get(source)
  if (consumer && current !== consumer) return
  current?.close()
  view.consumers.delete(source)
  view.videos[source].srcObject = null
  view.videos[source].hidden = true
  view.el.classList.remove(`has-${source}`)
  view.el.classList.toggle('has-video', view.consumers.size > 0)
}

async function consume(view: TileView, source: Source) {
  if (!peerId || view.consumers.has(source) || view.pending.has(source) || !tiles.has(view.data.id)) return
  view.pending.add(source)
  const owner = peerId
  try {
    const transport = await recvTransport(view.data.examId, view.data.publicId)
    const response = await post('/staff/live/consume', {
      peerId: owner,
      transportId: transport.id,
      session: view.data.publicId,
      source,
      rtpCapabilities: device.rtpCapabilities,
    })
    if (!response.ok) return
    const params = await response.json()
    if (owner !== peerId || transport.closed) return
    const consumer = await transport.consume({ id: params.id, producerId: params.producerId, kind: params.kind, rtpParameters: params.rtpParameters })
    view.consumers.set(source, consumer)
    consumer.on('transportclose', () => dropConsumer(view, source, consumer))
    view.videos[source].srcObject = new MediaStream([consumer.track])
    view.videos[source].hidden = false
    view.el.classList.add('has-video', `has-${source}`)
    await post('/staff/live/resume', { peerId: owner, consumerId: consumer.id })
    if (view.large) await post('/staff/live/layer', { peerId: owner, consumerId: consumer.id, large: true })
  } catch {
    /* The SFU is restarting, or the student left: the next state poll or event tries again. */
  } finally {
    view.pending.delete(source)
  }
}

function subscribe(published: Record<number, string[]>) {
  for (const view of tiles.values()) {
    for (const source of sources) {
      const available = (published[view.data.id] ?? []).includes(source)
      if (available) void consume(view, source)
      else if (view.consumers.has(source)) dropConsumer(view, source)
    }
  }
}

/* ------------------------------------------------------------------ events */

function onEvent(message: any) {
  switch (message.type) {
    case 'hello':
      peerId = message.peerId
      void pollState()
      break
    case 'restart':
      for (const examId of message.examIds ?? [...transports.keys()]) dropTransport(examId)
      break
    case 'producer': {
      const view = tiles.get(message.sessionId)
      if (view && sources.includes(message.source)) {
        dropConsumer(view, message.source)
        void consume(view, message.source)
      }
      break
    }
    case 'producer-closed': {
      const view = tiles.get(message.sessionId)
      if (view) dropConsumer(view, message.source)
      break
    }
    case 'consumer-closed':
      for (const view of tiles.values()) for (const [source, consumer] of view.consumers) if (consumer.id === message.consumerId) dropConsumer(view, source, consumer)
      break
    case 'message':
      onChatMessage(message.message as Message, true)
      break
    case 'stopped': {
      const view = tiles.get(message.sessionId)
      if (view) renderTile(view, { ...view.data, status: 'stopped', endReason: 'ended_by_proctor' })
      break
    }
  }
}

async function listen() {
  for (let pause = 1000; ; pause = Math.min(pause * 2, 8000)) {
    await readEvents('/staff/live/events', { accept: 'application/x-ndjson' }, onEvent).catch(() => undefined)
    peerId = null
    for (const examId of [...transports.keys()]) dropTransport(examId)
    await new Promise((resolve) => setTimeout(resolve, pause))
  }
}

async function pollState() {
  const response = await fetch(`/staff/live/state?after=${feedAfter}`, { headers: { accept: 'application/json' }, cache: 'no-store' }).catch(() => undefined)
  const error = $('[data-role="live-error"]')
  if (!response?.ok) {
    if (response?.status === 503) error.hidden = false
    return
  }
  error.hidden = true
  const state = (await response.json()) as { tiles: Tile[]; sources: Record<number, string[]>; feed: { id: number; sessionId: number; type: string; source: string; at: string }[] }
  const listed = new Set(state.tiles.map((tile) => tile.id))
  for (const tile of state.tiles) {
    const view = tiles.get(tile.id) ?? addTile(tile)
    renderTile(view, tile)
  }
  for (const view of [...tiles.values()]) if (!listed.has(view.data.id)) removeTile(view)
  subscribe(state.sources)
  renderFeed(state.feed)
}

function renderFeed(feed: { id: number; sessionId: number; type: string; source: string; at: string }[]) {
  if (feed.length === 0) return
  const list = $('[data-role="feed"]')
  $('[data-role="feed-empty"]', list)?.remove()
  for (const item of [...feed].reverse()) {
    feedAfter = Math.max(feedAfter, item.id)
    const view = tiles.get(item.sessionId)
    const li = document.createElement('li')
    li.className = `feed-item source-${item.source}`
    const time = document.createElement('time')
    time.textContent = timeOf(item.at)
    const who = document.createElement('strong')
    who.textContent = view?.data.candidate ?? ''
    li.append(time, ' ', who, ` · ${i18n.violation[item.type] ?? item.type} · ${text[`source_${item.source}`] ?? item.source}`)
    list.prepend(li)
  }
  while (list.children.length > 100) list.lastElementChild!.remove()
}

/* ------------------------------------------------------------------ chat */

function chatLine(message: Message) {
  const li = document.createElement('li')
  li.className = `chat-line ${message.sender === 'staff' ? 'mine' : 'theirs'}${message.kind === 'warning' ? ' warning' : ''}`
  li.dataset.messageId = String(message.id)
  const time = document.createElement('time')
  time.textContent = timeOf(message.at)
  const body = document.createElement('span')
  body.textContent = (message.kind === 'warning' ? '⚠ ' : '') + message.body
  li.append(time, ' ', body)
  if (message.kind === 'warning') {
    const state = document.createElement('em')
    state.className = 'ack small'
    state.textContent = message.acknowledged ? text.acknowledged : text.not_acknowledged
    li.append(' ', state)
  }
  return li
}

function onChatMessage(message: Message, fresh: boolean) {
  const view = tiles.get(message.sessionId)
  if (chatWith && chatWith.data.id === message.sessionId) {
    const log = $('[data-role="chat-log"]')
    const existing = log.querySelector(`[data-message-id="${message.id}"]`)
    if (existing) existing.replaceWith(chatLine(message))
    else log.append(chatLine(message))
    log.scrollTop = log.scrollHeight
  } else if (view && message.sender === 'student') {
    view.unread++
    renderTile(view, view.data)
  }
  if (fresh && message.sender === 'student') chime()
}

async function openChat(view: TileView) {
  chatWith = view
  view.unread = 0
  view.fresh = 0
  renderTile(view, view.data)
  const panel = $('[data-role="chat"]')
  panel.hidden = false
  $('[data-role="chat-title"]').textContent = view.data.candidate
  const log = $('[data-role="chat-log"]')
  log.replaceChildren()
  $('[data-role="chat-error"]').hidden = true
  const open = view.data.status === 'in_progress' || view.data.status === 'not_started'
  for (const b of panel.querySelectorAll<HTMLButtonElement>('.chat-actions button')) b.disabled = !open
  const response = await fetch(`/staff/sessions/${view.data.publicId}/live/messages`, { headers: { accept: 'application/json' } })
  if (response.ok && chatWith === view) {
    const { messages } = (await response.json()) as { messages: Message[] }
    messages.forEach((message) => log.append(chatLine(message)))
    log.scrollTop = log.scrollHeight
  }
  $<HTMLTextAreaElement>('[data-role="chat-text"]').focus()
}

function closeChat() {
  chatWith = null
  $('[data-role="chat"]').hidden = true
}

async function send(kind: 'chat' | 'warning') {
  const view = chatWith
  const input = $<HTMLTextAreaElement>('[data-role="chat-text"]')
  const body = input.value.trim()
  if (!view || !body) return
  const response = await post(`/staff/sessions/${view.data.publicId}/live/messages`, { text: body, kind })
  const error = $('[data-role="chat-error"]')
  if (!response.ok) {
    error.hidden = false
    error.textContent = (await response.json().catch(() => ({})))?.message ?? text.failed
    return
  }
  error.hidden = true
  input.value = ''
  onChatMessage(await response.json(), false)
}

async function stopSession(event: Event) {
  event.preventDefault()
  const view = chatWith
  const reason = $<HTMLTextAreaElement>('[data-role="stop-reason"]').value.trim()
  const error = $('[data-role="stop-error"]')
  if (!view || !reason) {
    error.hidden = false
    error.textContent = text.reason_required
    return
  }
  const response = await post(`/staff/sessions/${view.data.publicId}/stop`, { reason })
  if (!response.ok) {
    error.hidden = false
    error.textContent = (await response.json().catch(() => ({})))?.message ?? text.failed
    return
  }
  $<HTMLDialogElement>('[data-role="stop-dialog"]').close()
  renderTile(view, { ...view.data, status: 'stopped', endReason: 'ended_by_proctor' })
  for (const b of document.querySelectorAll<HTMLButtonElement>('.chat-actions button')) b.disabled = true
}

/* ------------------------------------------------------------------ wiring */

tilesBox.addEventListener('click', (event) => {
  const target = (event.target as HTMLElement).closest<HTMLElement>('[data-action]')
  const el = (event.target as HTMLElement).closest<HTMLElement>('.tile')
  const view = el && [...tiles.values()].find((one) => one.el === el)
  if (!target || !view) return
  if (target.dataset.action === 'enlarge') void toggleLarge(view)
  else if (target.dataset.action === 'chat') void openChat(view)
  else if (target.dataset.action === 'close') {
    void post(`/staff/live/watch/${view.data.publicId}/remove`, {}).then((response) => response.ok && removeTile(view))
  }
})
tilesBox.addEventListener('keydown', (event) => {
  const el = (event.target as HTMLElement).closest<HTMLElement>('.tile')
  const view = el && event.target === el && [...tiles.values()].find((one) => one.el === el)
  if (!view) return
  if (event.key === 'Enter') void toggleLarge(view)
})
$('[data-role="sort-new"]').addEventListener('change', sortTiles)

const picker = $<HTMLDialogElement>('[data-role="picker"]')
const pickerLoading = $('[data-role="picker-body"]').innerHTML
for (const opener of document.querySelectorAll<HTMLElement>('[data-action="open-picker"]')) {
  opener.addEventListener('click', () => {
    /* A fresh list each time (who is taking an exam changes), not the last one while it loads. */
    $('[data-role="picker-body"]').innerHTML = pickerLoading
    picker.showModal()
    document.body.dispatchEvent(new Event('live-picker-open'))
  })
}
$('[data-action="close-picker"]').addEventListener('click', () => picker.close())
picker.addEventListener('click', (event) => {
  const add = (event.target as HTMLElement).closest<HTMLButtonElement>('[data-add]')
  if (!add) return
  add.disabled = true
  void post('/staff/live/watch', { session: add.dataset.add }).then(async (response) => {
    if (!response.ok) {
      add.disabled = false
      add.title = (await response.json().catch(() => ({})))?.message ?? text.failed
      return
    }
    const { tile, sources: published } = (await response.json()) as { tile: Tile; sources: string[] }
    add.textContent = `✓ ${text.added}`
    addTile(tile)
    subscribe({ [tile.id]: published })
  })
})

$('[data-action="close-chat"]').addEventListener('click', closeChat)
$('[data-role="chat-form"]').addEventListener('submit', (event) => {
  event.preventDefault()
  void send('chat')
})
$('[data-role="chat-text"]').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault()
    void send('chat')
  }
})
$('[data-action="send-warning"]').addEventListener('click', () => void send('warning'))
$('[data-action="open-stop"]').addEventListener('click', () => {
  if (!chatWith) return
  $('[data-role="stop-who"]').textContent = chatWith.data.candidate
  $<HTMLTextAreaElement>('[data-role="stop-reason"]').value = ''
  $('[data-role="stop-error"]').hidden = true
  $<HTMLDialogElement>('[data-role="stop-dialog"]').showModal()
})
$('[data-action="cancel-stop"]').addEventListener('click', () => $<HTMLDialogElement>('[data-role="stop-dialog"]').close())
$('[data-role="stop-form"]').addEventListener('submit', (event) => void stopSession(event))

for (const tile of config.tiles) addTile(tile)
renderCount()
void listen()
setInterval(() => void pollState(), 3000)
;(window as any).live = { tiles, get peerId() { return peerId } }
