// @ts-check
/**
 * Save -> restyle latency in real Chromium. Each page runs a requestAnimationFrame loop that reads the computed
 * colour of `#probe` and `#sentinel` in every frame and reports, through a Playwright binding, the wall-clock time
 * (performance.timeOrigin + performance.now()) of the first frame showing each new probe colour, every frame in
 * which the sentinel rule was missing (a flash), and every document load (a reload). Node takes its own time the same
 * way just before it writes the file; the offset between the two clocks is measured by round trips before each edit.
 */
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import process from 'node:process'
import { setTimeout as sleep } from 'node:timers/promises'
import { chromium } from 'playwright-core'
import { css, probeColor, SENTINEL } from './fixtures.mjs'
import { shuffle, summarize } from './stats.mjs'
import { GROUPS, SYSTEMS } from './systems.mjs'

export const CHROME_PATH = process.env.CHROME_PATH || '/usr/bin/chromium'
const CHROME_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

const now = () => performance.timeOrigin + performance.now()

/** Runs in every document of a measured page, from its first script on; reports through `window.__benchReport`. */
export function probeLoop(sentinel) {
  let last = ''
  let loaded = false
  const loop = () => {
    const t = performance.timeOrigin + performance.now()
    const probe = document.querySelector('#probe')
    const mark = document.querySelector('#sentinel')
    if (probe && mark) {
      if (!loaded) {
        loaded = true
        window.__benchReport({ kind: 'load', t })
      }
      if (getComputedStyle(mark).color !== sentinel)
        window.__benchReport({ kind: 'flash', t })
      const color = getComputedStyle(probe).color
      if (color !== last) {
        last = color
        window.__benchReport({ kind: 'color', color, t })
      }
    }
    requestAnimationFrame(loop)
  }
  requestAnimationFrame(loop)
}

/**
 * What a measured page has reported, fed by `handle(report)` whichever way the reports arrive (a Playwright binding
 * here, a drained queue in engines.mjs), and waiting for the first frame of a colour.
 */
export function probeState() {
  const state = { loads: 0, flashes: 0, colors: new Map(), waiters: new Map() }
  return {
    state,
    handle(report) {
      if (report.kind === 'load') {
        state.loads++
      }
      else if (report.kind === 'flash') {
        state.flashes++
      }
      else if (!state.colors.has(report.color)) {
        state.colors.set(report.color, report.t)
        state.waiters.get(report.color)?.(report.t)
      }
    },
    /** Resolves with the page time of the first frame showing `color`, or undefined after `timeout` ms. */
    frameOf(color, timeout) {
      if (state.colors.has(color))
        return Promise.resolve(state.colors.get(color))
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          state.waiters.delete(color)
          resolve(undefined)
        }, timeout)
        state.waiters.set(color, (t) => {
          clearTimeout(timer)
          state.waiters.delete(color)
          resolve(t)
        })
      })
    },
  }
}

/** Page clock minus Node clock, from the round trip (`run` of a page function) with the smallest delay of a few. */
export async function clockOffset(run) {
  let best = { rtt: Infinity, offset: 0 }
  for (let i = 0; i < 3; i++) {
    const before = now()
    const pageTime = await run(() => performance.timeOrigin + performance.now())
    const after = now()
    if (after - before < best.rtt)
      best = { rtt: after - before, offset: pageTime - (before + after) / 2 }
  }
  return best
}

/** A measured page in a Playwright browser: the probe loop from an init script, its reports through a binding. */
async function openProbe(browser, url) {
  const context = await browser.newContext()
  const page = await context.newPage()
  const probe = probeState()
  await page.exposeBinding('__benchReport', (_source, report) => probe.handle(report))
  await page.addInitScript(probeLoop, SENTINEL)
  await page.goto(url)
  /** @type {(fn: Function, arg?: unknown) => Promise<any>} */
  const run = (fn, arg) => page.evaluate(fn, arg)
  return {
    ...probe,
    run,
    clockOffset: () => clockOffset(run),
    close: () => context.close(),
  }
}

/**
 * Positive controls on a page after its measurement: one frame with every stylesheet removed must count as a flash,
 * and one `location.reload()` as a reload.
 */
async function controls(probe) {
  const flashesBefore = probe.state.flashes
  await probe.run(() => new Promise((resolve) => {
    const sheets = [...document.querySelectorAll('link[rel="stylesheet"], style')].map(node => ({ node, parent: node.parentNode, next: node.nextSibling }))
    for (const { node } of sheets)
      node.remove()
    requestAnimationFrame(() => requestAnimationFrame(() => {
      for (const { node, parent, next } of sheets)
        parent.insertBefore(node, next)
      resolve(undefined)
    }))
  }))
  await sleep(300)
  const loadsBefore = probe.state.loads
  // From a timer, so that the call that asks for it returns before the document goes away.
  await probe.run(() => void setTimeout(() => location.reload()))
  const deadline = Date.now() + 10_000
  while (probe.state.loads === loadsBefore && Date.now() < deadline)
    await sleep(20)
  return { flashDetected: probe.state.flashes > flashesBefore, reloadDetected: probe.state.loads > loadsBefore }
}

/** How every group is measured: warm-up edits per member, pause between a restyle and the next write, give-up time. */
export const EDITS = { warmup: 3, gap: [150, 450], timeout: 10_000 }

/**
 * Measures the members of one group together: `warmup` edits each, then `edits` each, interleaved in random order,
 * with a random pause of `gap` ms between one restyle and the next write. A member is a system of systems.mjs with
 * `open(url)`, which opens its page with the probe loop running and returns a probe (probeState() with `run`,
 * `clockOffset` and `close`).
 */
export async function measureGroup(group, members, { edits, warmup, gap, timeout, log }) {
  const running = []
  try {
    for (const system of members) {
      const startedAt = now()
      const server = await system.start()
      log(`  ${system.label}: started in ${Math.round(now() - startedAt)} ms at ${server.url}`)
      running.push({ system, server, probe: undefined, n: 0, samples: [], missed: 0 })
    }
    for (const run of running) {
      run.probe = await run.system.open(run.server.url)
      if (await run.probe.frameOf(probeColor(0), 30_000) === undefined)
        throw new Error(`${run.system.label}: the page never showed its first colour`)
    }
    // Let every client connect and every watcher settle before the first edit.
    await sleep(1500)

    const order = [
      ...shuffle(running.flatMap(run => Array.from({ length: warmup }, () => ({ run, measured: false })))),
      ...shuffle(running.flatMap(run => Array.from({ length: edits }, () => ({ run, measured: true })))),
    ]
    const counters = new Map()
    let done = 0
    for (const { run, measured } of order) {
      if (++done % 20 === 0)
        log(`  ${done} of ${order.length} edits`)
      if (measured && !counters.has(run))
        counters.set(run, { loads: run.probe.state.loads, flashes: run.probe.state.flashes, rebuilds: run.server.rebuilds?.length ?? 0 })
      await sleep(gap[0] + Math.random() * (gap[1] - gap[0]))
      const n = ++run.n
      const { offset } = await run.probe.clockOffset()
      const writtenAt = now()
      await writeFile(run.server.file, css(n))
      const frame = await run.probe.frameOf(probeColor(n), timeout)
      if (!measured)
        continue
      if (frame === undefined)
        run.missed++
      else
        run.samples.push(frame - offset - writtenAt)
    }

    const results = []
    for (const run of running) {
      const start = counters.get(run)
      const reloads = run.probe.state.loads - start.loads
      const flashes = run.probe.state.flashes - start.flashes
      const control = await controls(run.probe)
      results.push({
        name: run.system.name,
        label: run.system.label,
        ours: run.system.ours,
        diagnostic: Boolean(run.system.diagnostic),
        group: group.name,
        versions: run.server.versions,
        samples: run.samples,
        missed: run.missed,
        reloads,
        flashes,
        control,
        rebuild: run.server.rebuilds ? summarize(run.server.rebuilds.slice(start.rebuilds)) : undefined,
        ...summarize(run.samples),
      })
    }
    return results
  }
  finally {
    for (const run of running) {
      await run.probe?.close().catch(() => {})
      await run.server.stop().catch(error => log(`  ${run.system.label}: stop failed: ${error.message}`))
    }
  }
}

/** The whole latency section: one Chromium, every group in turn. */
export async function measureLatency({ edits = 30, warmup = EDITS.warmup, gap = EDITS.gap, timeout = EDITS.timeout, groups = GROUPS, log = console.log } = {}) {
  if (!existsSync(CHROME_PATH))
    throw new Error(`[live-assets] Chromium not found at ${CHROME_PATH}: install it (apt-get install -y chromium) or set CHROME_PATH.`)
  const browser = await chromium.launch({ executablePath: CHROME_PATH, args: CHROME_ARGS })
  const results = []
  try {
    for (const group of groups) {
      log(`latency: ${group.name}`)
      const members = group.systems.map(name => ({ ...SYSTEMS[name], open: url => openProbe(browser, url) }))
      const measured = await measureGroup(group, members, { edits: edits * (group.editsTimes ?? 1), warmup, gap, timeout, log })
      const peer = measured.find(r => r.name === group.peer)
      for (const result of measured) {
        result.ratio = peer && peer.median ? result.median / peer.median : undefined
        result.p95Ratio = peer && peer.p95 ? result.p95 / peer.p95 : undefined
        result.peer = group.peer
        result.target = result.name === group.peer || result.diagnostic ? undefined : group.target
        result.p95Target = group.p95 ? result.target : undefined
        result.bound = result.name === group.peer || result.diagnostic ? undefined : group.bound
        results.push(result)
      }
    }
    return { chromium: browser.version(), results }
  }
  finally {
    await browser.close()
  }
}
