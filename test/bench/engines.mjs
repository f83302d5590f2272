// @ts-check
/**
 * Save -> restyle for the CLI path (the backend page with the `live-assets` CLI beside it) in Chromium, Firefox and
 * WebKit in one run: one backend and one CLI per engine, their edits interleaved by the latency section's own
 * measureGroup(), timed by its own probe loop. The browsers come from the e2e tests' driver, test/utils/engines.ts.
 *
 * Firefox (WebDriver BiDi) and WebKit (classic WebDriver) give no binding a page can call, so the probe loop runs as
 * installed into the page after load (in every engine, Chromium too, so that all three are measured alike), its
 * reports wait in the page and the bench drains them. A drained report carries the page time of its frame, so how
 * often the bench drains changes when Node learns of a frame, not the latency it records.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { importTestModule, SENTINEL } from './fixtures.mjs'
import { clockOffset, EDITS, measureGroup, probeLoop, probeState } from './latency.mjs'
import { summarize } from './stats.mjs'
import { SYSTEMS } from './systems.mjs'

const DRAIN_MS = 25

/**
 * probeLoop() for a driver without bindings: its reports go into a queue in the page. Built here from probeLoop's own
 * source, so that every driver serialises it like any page function and the loop is the latency section's, not a copy.
 * It also reports the client's `live-assets:before-swap` event (an update has reached the page), which splits each
 * latency into the part before the page and the part in the engine.
 */
// eslint-disable-next-line no-new-func
const installProbe = new Function('sentinel', `window.__benchProbe = { reports: [] }
window.__benchReport = report => window.__benchProbe.reports.push(report)
addEventListener('live-assets:before-swap', () => window.__benchReport({ kind: 'swap', t: performance.timeOrigin + performance.now() }))
;(${probeLoop})(sentinel)`)

/** The queued reports, or null in a document without the probe (a new one: the page was reloaded). */
const drainReports = () => window.__benchProbe ? window.__benchProbe.reports.splice(0) : null

/**
 * What bounds the precision of a latency in this engine: the smallest step of `performance.now()` seen in 50 ms of
 * reading it, and the median interval between 30 animation frames.
 */
function pageClock() {
  let step = Infinity
  let last = performance.now()
  for (const end = last + 50; last < end;) {
    const t = performance.now()
    if (t > last)
      step = Math.min(step, t - last)
    last = t
  }
  return new Promise((resolve) => {
    const frames = []
    const frame = (t) => {
      frames.push(t)
      if (frames.length < 31)
        return void requestAnimationFrame(frame)
      const gaps = frames.slice(1).map((f, i) => f - frames[i]).sort((a, b) => a - b)
      resolve({ step, frame: gaps[15] })
    }
    requestAnimationFrame(frame)
  })
}

/**
 * A measured page in one engine's tab: the probe installed after load, its reports drained until `close()`. Each edit
 * (one clockOffset() before its write, one frameOf() after) leaves an entry in `info.edits`: the offset estimate and
 * its round trip, whether the edit showed, and the page time from the client's event to the restyled frame.
 */
async function openTab(engine, url, info) {
  const tab = await engine.open(url)
  const probe = probeState()
  const run = tab.run
  await run(installProbe, SENTINEL)
  info.clock = await run(pageClock)
  /** The page time of the first client event since the last write. */
  let swapAt
  const closing = new AbortController()
  const drained = (async () => {
    while (!closing.signal.aborted) {
      // A call that meets a document being replaced fails: the next one finds the new document.
      const reports = await run(drainReports).catch(() => [])
      if (reports === null)
        await run(installProbe, SENTINEL).catch(() => {})
      for (const report of reports ?? []) {
        if (report.kind === 'swap')
          swapAt ??= report.t
        else
          probe.handle(report)
      }
      await sleep(DRAIN_MS)
    }
  })()
  return {
    ...probe,
    run,
    async clockOffset() {
      const best = await clockOffset(run)
      swapAt = undefined
      info.edits.push({ ...best, shown: undefined, swapToFrame: undefined })
      return best
    },
    async frameOf(color, timeout) {
      const frame = await probe.frameOf(color, timeout)
      const edit = info.edits.at(-1)
      if (edit && edit.shown === undefined) {
        edit.shown = frame !== undefined
        edit.swapToFrame = frame !== undefined && swapAt !== undefined ? frame - swapAt : undefined
      }
      return frame
    },
    async close() {
      closing.abort()
      await drained
      await tab.close()
    },
  }
}

/**
 * The engines section: the engines launched once (all three, or those of `LIVE_ASSETS_ENGINES`, as in the e2e tests),
 * one CLI path each, every edit interleaved.
 */
export async function measureEngines({ edits = 30, log = console.log } = {}) {
  const { engineNames, launch } = await importTestModule('test/utils/engines.ts')
  const engines = []
  try {
    for (const name of engineNames) {
      const startedAt = performance.now()
      engines.push(await launch(name))
      log(`  ${engines.at(-1).version}: launched in ${Math.round(performance.now() - startedAt)} ms`)
    }
    const infos = new Map(engines.map(engine => [engine.name, { clock: undefined, edits: [] }]))
    const members = engines.map(engine => ({
      ...SYSTEMS.backend,
      name: engine.name,
      label: engine.version,
      open: url => openTab(engine, url, infos.get(engine.name)),
    }))
    log('engines: CLI path in each engine')
    const results = await measureGroup({ name: 'CLI path' }, members, { ...EDITS, edits, log })
    const chromium = results.find(r => r.name === 'chromium')
    for (const result of results) {
      const { clock, edits: all } = infos.get(result.name)
      // The measured edits that showed, in the order of result.samples.
      const shown = all.slice(EDITS.warmup).filter(edit => edit.shown)
      // Both clocks run from the machine's monotonic clock, so the offset is one number for the whole document; its
      // best estimate is the round trip with the smallest delay of the run. The same samples with it show how much the
      // per-edit estimate (the method of section 1) moves them.
      const best = all.reduce((a, b) => (b.rtt < a.rtt ? b : a))
      const oneOffset = result.samples.map((sample, i) => sample + shown[i].offset - best.offset)
      const swapToFrame = shown.map(edit => edit.swapToFrame).filter(v => v !== undefined)
      Object.assign(result, {
        clock,
        edits: all,
        offsetRtt: summarize(all.map(edit => edit.rtt)),
        oneOffset: summarize(oneOffset),
        swapToFrame: summarize(swapToFrame),
        toSwap: summarize(result.samples.flatMap((sample, i) => (shown[i].swapToFrame === undefined ? [] : [sample - shown[i].swapToFrame]))),
        ratio: chromium ? result.median / chromium.median : undefined,
        p95Ratio: chromium ? result.p95 / chromium.p95 : undefined,
      })
    }
    return { versions: Object.fromEntries(engines.map(engine => [engine.name, engine.version])), results }
  }
  finally {
    for (const engine of engines)
      await engine.close().catch(error => log(`  ${engine.version}: close failed: ${error.message}`))
  }
}
