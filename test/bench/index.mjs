// @ts-check
/**
 * `pnpm bench`: save -> restyle latency in Chromium against each bundler's own path, the CLI path's in Chromium,
 * Firefox and WebKit, SSE fan-out against webpack-hot-middleware, fan-out through the Redis bus against the
 * in-process one, and a few small figures. Prints tables, writes BENCHMARKS.md and test/bench/latency.svg.
 *
 *   node test/bench/index.mjs [--only latency,engines,fanout,small,bus] [--edits 30] [--sizes 100,1000,10000]
 *   node test/bench/index.mjs --render   (BENCHMARKS.md and the chart again from test/.tmp/bench-results.json)
 */
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import process from 'node:process'
import { parseArgs } from 'node:util'
import { measureBus } from './bus.mjs'
import { latencyChart } from './chart.mjs'
import { measureEngines } from './engines.mjs'
import { CLIENT_PROCESSES, FD_LIMIT, HEARTBEAT_MS, measureFanout } from './fanout.mjs'
import { ROOT, versionFrom } from './fixtures.mjs'
import { measureLatency } from './latency.mjs'
import { busSection, enginesSection, explain, fanoutTargets, heartbeatNote, latencyTargets, table } from './report.mjs'
import { clientSize, idleMemory, viteStart } from './small.mjs'

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'latency,engines,fanout,small,bus' },
    edits: { type: 'string', default: '30' },
    sizes: { type: 'string', default: '100,1000,10000' },
    out: { type: 'string', default: 'BENCHMARKS.md' },
    render: { type: 'boolean', default: false },
  },
})
const only = new Set(values.only.split(','))
const RESULTS = path.join(ROOT, 'test/.tmp/bench-results.json')
const edits = Number(values.edits)
const sizes = values.sizes.split(',').map(Number)

const ms = v => (Number.isFinite(v) ? v.toFixed(1) : '-')
const x = v => (v === undefined || !Number.isFinite(v) ? '-' : `${v.toFixed(2)}x`)
const kib = v => `${(v / 1024).toFixed(2)}`
const mib = v => `${(v / 1024 / 1024).toFixed(1)}`

function machine() {
  const cpus = os.cpus()
  return {
    cpu: `${cpus[0]?.model.trim() ?? 'unknown'} x ${cpus.length}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    load: os.loadavg().map(l => l.toFixed(2)).join(' / '),
    fdLimit: `${execFileSync('sh', ['-c', 'ulimit -n; ulimit -Hn']).toString().trim().split('\n').join(' soft, ')} hard`,
  }
}

async function main() {
  // --render: write BENCHMARKS.md and the chart again from the last run's results, without measuring.
  const saved = values.render ? JSON.parse(await readFile(RESULTS, 'utf8')) : undefined
  const startedAt = saved ? new Date(saved.startedAt ?? (await stat(RESULTS)).mtime) : new Date()
  const before = saved?.before ?? machine()
  const log = message => console.log(message)
  const report = saved?.report ?? { latency: undefined, engines: undefined, fanout: undefined, small: undefined, bus: undefined }
  // A partial run (--only) keeps the other sections of the last run, and says so in BENCHMARKS.md.
  if (!saved) {
    const previous = await readFile(RESULTS, 'utf8').then(JSON.parse).catch(() => undefined)
    const previousAt = previous && new Date(previous.startedAt ?? (await stat(RESULTS)).mtime).toISOString()
    for (const section of ['latency', 'engines', 'fanout', 'small', 'bus']) {
      if (only.has(section) || !previous?.report?.[section])
        continue
      report[section] = previous.report[section]
      report.from = { ...report.from, [section]: previous.report.from?.[section] ?? previousAt }
    }
  }

  if (!saved && only.has('latency')) {
    report.latency = await measureLatency({ edits, log })
    console.log(`\nSave -> restyle latency (ms), ${edits} edits per system after 3 warm-ups`)
    console.table(report.latency.results.map(r => ({
      'system': r.label,
      'min': ms(r.min),
      'median': ms(r.median),
      'p95': ms(r.p95),
      'max': ms(r.max),
      'vs peer': x(r.ratio),
      'reloads': r.reloads,
      'flashes': r.flashes,
      'missed': r.missed,
    })))
  }
  if (!saved && only.has('engines')) {
    log('engines')
    report.engines = await measureEngines({ edits, log })
    console.log(`\nSave -> restyle latency (ms) of the CLI path per engine, ${edits} edits per engine after 3 warm-ups`)
    console.table(report.engines.results.map(r => ({
      'engine': r.label,
      'n': r.count,
      'median': ms(r.median),
      'p95': ms(r.p95),
      'vs Chromium': x(r.ratio),
      'reloads': r.reloads,
      'flashes': r.flashes,
      'missed': r.missed,
    })))
  }
  if (!saved && only.has('fanout')) {
    report.fanout = await measureFanout({ sizes, log })
    console.log('\nFan-out')
    console.table(report.fanout.map(r => ({
      'system': r.system,
      'N': r.n,
      'p50': ms(r.median),
      'p99': ms(r.p99),
      'max': ms(r.max),
      'publish ms': ms(r.publishMs),
      'sent ms': ms(r.flushMs),
      'CPU ms / event': ms(r.publishCpuMs),
      'RSS KiB/conn': kib(r.rssPerConnection),
      'heap KiB/conn': kib(r.heapPerConnection),
      'idle CPU %': r.idleCpuPercent.toFixed(3),
      'lost': r.lost,
    })))
  }
  if (!saved && only.has('small')) {
    log('small figures')
    report.small = { client: await clientSize(), vite: await viteStart(), memory: await idleMemory() }
    console.log('\nSmall figures')
    console.table({
      'client min': `${report.small.client.minified} B`,
      'client min+gzip': `${report.small.client.gzip} B`,
      'Vite start without plugin (median)': `${ms(report.small.vite.without.median)} ms`,
      'Vite start with plugin (median)': `${ms(report.small.vite.with.median)} ms`,
      'standalone server idle RSS': `${mib(report.small.memory.liveAssets.rss)} MiB`,
    })
  }

  if (!saved && only.has('bus')) {
    report.bus = await measureBus({ log })
    console.log('\nThe bus alone (no streams), per event')
    console.table(report.bus.bursts.map(b => ({
      'system': b.system,
      'CPU µs, publisher': b.cpuUs[0].toFixed(1),
      'CPU µs, other': b.cpuUs[1]?.toFixed(1) ?? '-',
      'publish -> id ms': b.appendMs.median.toFixed(3),
      'publish -> entry ms': b.entryMs.median.toFixed(3),
      'Redis CPU µs': b.redisCpuUs?.stat.toFixed(1) ?? '-',
      'Redis bytes in/out': b.redisBytes ? `${b.redisBytes.in.toFixed(0)} / ${b.redisBytes.out.toFixed(0)}` : '-',
    })))
    console.log('\nFan-out through the bus')
    console.table(report.bus.results.map(r => ({
      'system': r.system,
      'N': r.n,
      'p50': ms(r.median),
      'p99': ms(r.p99),
      'sent ms': ms(r.sentMs),
      'CPU ms / event': ms(r.cpuMs),
      'per process': r.processCpuMs.map(ms).join(' + '),
      'hop ms': r.hopMs.map(v => v.toFixed(2)).join(', '),
      'lost': r.lost,
    })))
  }

  const after = saved?.after ?? machine()
  const test = path.join(ROOT, 'test')
  const versions = saved?.versions ?? {
    'live-assets': JSON.parse(await readFile(path.join(ROOT, 'packages/core/package.json'), 'utf8')).version,
    'node': process.version,
    'chromium': report.latency?.chromium ?? '-',
    'playwright-core': versionFrom(test, 'playwright-core'),
    'firefox': report.engines?.versions.firefox ?? '-',
    'webkit': report.engines?.versions.webkit ?? '-',
    'puppeteer-core': versionFrom(test, 'puppeteer-core'),
    'vite': versionFrom(path.join(ROOT, 'playground/vite'), 'vite'),
    'webpack': versionFrom(path.join(ROOT, 'playground/webpack'), 'webpack'),
    'webpack-dev-server': versionFrom(path.join(ROOT, 'playground/webpack'), 'webpack-dev-server'),
    'mini-css-extract-plugin': versionFrom(path.join(ROOT, 'playground/webpack'), 'mini-css-extract-plugin'),
    '@rspack/core': versionFrom(path.join(ROOT, 'playground/rspack'), '@rspack/core'),
    '@rspack/dev-server': versionFrom(path.join(ROOT, 'playground/rspack'), '@rspack/dev-server'),
    'webpack-hot-middleware': versionFrom(test, 'webpack-hot-middleware'),
    'rollup': versionFrom(path.join(ROOT, 'playground/rollup'), 'rollup'),
    'rollup-plugin-livereload': versionFrom(test, 'rollup-plugin-livereload'),
    'livereload': versionFrom(test, 'livereload'),
    'esbuild': versionFrom(path.join(ROOT, 'playground/esbuild'), 'esbuild'),
    'redis-server': report.bus?.redisVersion ?? '-',
    'redis (Node client of @live-assets/redis)': versionFrom(path.join(ROOT, 'packages/redis'), 'redis'),
  }

  const md = []
  md.push('# Benchmarks', '')
  md.push(`Generated by \`pnpm bench\` (\`test/bench/index.mjs\`) on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. Do not edit by hand: run it again.`, '')
  md.push('**Read ratios, not absolute times.** This machine is shared: other engineers\' test suites were running during the run', `(load average ${before.load} at the start, ${after.load} at the end, on ${os.cpus().length} cores). Every comparison below is made within`, 'one run, with the systems of a group measured in the same period and their edits interleaved in random order, so that', 'background load falls on all of them alike. Absolute milliseconds from different runs are not comparable.', '')
  if (report.from) {
    const titles = { latency: '1. Save → restyle latency', engines: '4. Save → restyle in Chromium, Firefox and WebKit', fanout: '2. Fan-out', small: '3. Small figures', bus: '5. Fan-out through the Redis bus' }
    const kept = Object.entries(report.from).map(([section, at]) => `${titles[section]} (run of ${at.slice(0, 16).replace('T', ' ')} UTC)`)
    md.push(`**Sections from an earlier run:** ${kept.join(', ')}; they were not measured again in this one. Machine load and versions above are this run's.`, '')
  }
  md.push('## Versions and machine', '')
  md.push(table(['', ''], [
    ...Object.entries(versions).map(([name, version]) => [name, version]),
    ['CPU', before.cpu],
    ['memory', before.memory],
    ['OS', before.os],
    ['open files (`ulimit -n`)', before.fdLimit],
  ]), '')

  if (report.latency) {
    const results = report.latency.results
    const editsOf = Object.fromEntries(results.map(r => [r.group, r.count + r.missed]))
    const perSystem = Math.min(...Object.values(editsOf))
    const more = Object.entries(editsOf).filter(([, n]) => n > perSystem).map(([group, n]) => `${n} in the ${group} group`)
    md.push('## 1. Save → restyle latency in Chromium', '')
    md.push('![Latency per system: every sample, median and p95](test/bench/latency.svg)', '')
    md.push('### Method', '')
    md.push(
      `- One headless Chromium (\`${versions.chromium}\`, flags \`--headless --no-sandbox --disable-gpu --disable-quic ...\`), one browser context per system.`,
      '- Every system gets its own temp project under `test/.tmp/` with the same page: a `#probe` element whose colour each edit changes, and a `#sentinel` element whose rule (`color: rgb(1, 2, 3)`) every version of the stylesheet keeps.',
      '- An init script in every document runs a `requestAnimationFrame` loop that reads `getComputedStyle()` of both in each frame and reports, through a Playwright binding, the time (`performance.timeOrigin + performance.now()`) of the first frame showing each new colour, every frame in which the sentinel is not styled (a **flash**), and every document load (a **reload**: the init script runs again, so a reload can never go unnoticed).',
      '- Node takes its time the same way just before `writeFile()`. The offset between the page clock and the Node clock is measured before each edit from three `page.evaluate()` round trips (the one with the smallest round trip; typically well under 1 ms), so the latency is the page frame time minus the offset minus the write time.',
      `- Per system: 3 warm-up edits, then ${perSystem} measured edits${more.length ? ` (${more.join(', ')}, whose median and p95 are held to 1.0x of the peer: over 30 edits, which frame a restyle lands in swings the ratio by about 0.15x)` : ''}, each writing a new colour. All edits of a group (warm-ups first) are shuffled into one random order, with a random pause of 150-450 ms after each restyle before the next write, so no polling timer can phase-lock with the edits. An edit that shows no restyle within 10 s counts as **missed**.`,
      '- **Positive controls** on every page after its measurement: all stylesheets removed for two frames must count as a flash, and one `location.reload()` as a reload. Both detectors fired on every page where the table says `yes / yes`.',
      '- Setups: live-assets with each bundler as its README documents (webpack and Rspack with `hot: false, liveReload: false`, bundled sheet swapped by live-assets; Vite with the sheet in `public/`; the backend playground\'s page server with the `live-assets` CLI beside it; Rollup: `rollup -c -w` with playground/rollup\'s `cssAssets()` and `htmlPage()` plugins and `liveAssets({ reload: [\'**/*.html\'] })`, the page from a static server of `dist/`; esbuild: `context()` + `watch()` with the plugin, the page from a static server of `dist/`). Peers: Vite\'s own HMR for `<link rel="stylesheet" href="/src/style.css">` in `index.html`; webpack-dev-server with `hot: true` and mini-css-extract-plugin (`[name].css`); Rspack with `hot: true` and native CSS (`type: \'css/auto\'`); the same Rollup build with `rollup-plugin-livereload` as its README documents it for CSS output (`livereload({ watch: \'dist\' })`, the same static server); esbuild\'s `serve()` with the snippet its documentation gives (`new EventSource(\'/esbuild\').addEventListener(\'change\', () => location.reload())`). The same entry (`main.js` + `style.css`) and HTML plugin in both webpack-like setups, and in both Rollup and both esbuild setups.',
      '- **Rollup\'s target is a bound, not a ratio:** LiveReload\'s in-place stylesheet swap (a `livereload` server watching a plain folder with the page and the sheet, no bundler: every edit is a `.css` change that livereload.js applies without a reload; the *reference* row) plus Rollup\'s rebuild (median of "created dist in N ms" in the rollup-plugin-livereload setup, same run). The rollup-plugin-livereload row itself is what its documented setup does: each CSS edit makes Rollup write `main.js` and `index.html` again too, and LiveReload reloads the page for any changed file that is not a stylesheet, so the page reloads (its reloads column).',
      '',
    )
    md.push('### Results (ms)', '')
    md.push(table(
      ['group', 'system', 'n', 'min', 'median', 'p95', 'max', 'median vs peer', 'p95 vs peer', 'reloads', 'flash frames', 'missed', 'controls (flash / reload detected)'],
      results.map(r => [r.group, r.diagnostic ? `*${r.label}*` : r.ours ? `**${r.label}**` : r.label, r.count, ms(r.min), ms(r.median), ms(r.p95), ms(r.max), r.name === r.peer ? 'peer' : x(r.ratio), r.name === r.peer ? 'peer' : x(r.p95Ratio), r.reloads, r.flashes, r.missed, `${r.control.flashDetected ? 'yes' : 'NO'} / ${r.control.reloadDetected ? 'yes' : 'NO'}`]),
    ), '')
    md.push('### Targets', '')
    md.push(table(['target', 'result', 'met?'], latencyTargets(results)), '')
    await writeFile(path.join(ROOT, 'test/bench/latency.svg'), latencyChart(results))
  }

  if (report.fanout) {
    const rows = report.fanout
    md.push('## 2. Fan-out', '')
    md.push('### Method', '')
    md.push(
      `- The server runs alone in its own process (\`test/bench/fanout-server.mjs\`, \`--expose-gc\`): \`createLiveServer()\` from \`@live-assets/core\`, or webpack-hot-middleware's middleware on \`node:http\` (created with a webpack compiler that never runs; events go out through its \`publish()\`). Heartbeats at each system's default: every ${HEARTBEAT_MS['live-assets'] / 1000} s for live-assets (\`DEFAULT_HEARTBEAT_MS\`), every ${HEARTBEAT_MS['webpack-hot-middleware'] / 1000} s for webpack-hot-middleware. Both processes load the same modules (webpack, the compiler, webpack-hot-middleware and \`@live-assets/core\`) whichever system serves, so that neither baseline holds memory the other lacks.`,
      `- N raw SSE clients on 127.0.0.1, spread over ${CLIENT_PROCESSES} client processes (one per core), each started through \`sh -c 'ulimit -n ${FD_LIMIT}; exec node ...'\` and connecting in batches of 100. Each client is a bare \`node:net\` socket: it writes \`GET <path> HTTP/1.1\` with \`Host\` and \`Accept: text/event-stream\` by hand, counts the stream as open when the status line says 200, and scans every byte it receives (status line, headers, chunk framing and all events; every read goes into one shared buffer) for \`round-<digits>\`, holding back a read that does not end at a line end until the rest arrives. No HTTP parser, no stream object per response, no EventSource polyfill: the same clients for both systems, as light as a reader of the raw stream can be, so that the receiving side is not what is measured.`,
      '- One warm-up round, then 10 rounds per N, 200-500 ms apart. The server takes `performance.timeOrigin + performance.now()` just before `publish()`; each client takes the same clock when the read holding the event returns. Both are the same wall-clock-anchored clock on one machine. **lost** = streams times rounds minus events received.',
      '- **publish ms**: how long the `publish()` call takes. `node:http` corks a socket on `write()` and uncorks it on the next tick, so the writes reach the kernel after `publish()` returns: **sent ms** is the time until the ticks after it have run (a `setImmediate` in the server), i.e. until the event is in the kernel for all N streams, and **CPU ms / event** the server\'s CPU time (user + system) over the same span.',
      '- **RSS per connection**: server RSS after `gc()` with N streams open, minus RSS after `gc()` with none (after one warm-up stream), divided by N. At N = 100 this is dominated by allocator granularity; read the 10,000 row. The V8 heap delta is shown beside it.',
      '- **idle CPU**: `process.cpuUsage()` of the server over one whole heartbeat period of that system with N streams open and nothing published except heartbeats, after a `gc()` and a rest of at least 15 s that ends once V8 has made no full collection for 10 s (at most 60 s: the memory reducer follows a forced collection with one or two of its own, 10 to 20 s later, which belong to the `gc()`, not to being idle), as a percentage of one core. A full collection that a heartbeat causes falls inside the window and counts.',
      '',
    )
    md.push(table(
      ['N', 'system', 'p50 ms', 'p99 ms', 'max ms', 'publish ms', 'sent ms', 'CPU ms / event', 'RSS KiB / conn', 'heap KiB / conn', 'idle CPU % of a core', 'lost'],
      rows.map(r => [r.n.toLocaleString('en'), r.system, ms(r.median), ms(r.p99), ms(r.max), ms(r.publishMs), ms(r.flushMs), ms(r.publishCpuMs), kib(r.rssPerConnection), kib(r.heapPerConnection), r.idleCpuPercent.toFixed(3), `${r.lost} of ${(r.open * r.rounds).toLocaleString('en')}`]),
    ), '')
    md.push('### Targets', '')
    md.push(table(['target', 'result', 'met?'], fanoutTargets(rows)), '')
    md.push(...heartbeatNote(rows))
  }

  if (report.small) {
    const { client, vite, memory } = report.small
    md.push('## 3. Small figures', '')
    md.push(table(['figure', 'value', 'how'], [
      ['browser client, minified', `${client.minified.toLocaleString('en')} B`, `\`${client.file}\` as built`],
      ['browser client, min + gzip', `${client.gzip.toLocaleString('en')} B`, 'zlib level 9'],
      ['browser client, min + brotli', `${client.brotli.toLocaleString('en')} B`, 'brotli quality 11'],
      ['on-demand extras, min + gzip', client.extras ? `${client.extras.gzip.toLocaleString('en')} B` : '-', `\`${client.extras?.file}\`: loaded the first time a page needs them`],
      ['debug build, min + gzip', client.debug ? `${client.debug.gzip.toLocaleString('en')} B` : '-', `\`${client.debug?.file}\`: served instead for \`debug: true\``],
      ['Vite dev server start, without the plugin', `${ms(vite.without.median)} ms (min ${ms(vite.without.min)}, max ${ms(vite.without.max)})`, '`createServer()` + `listen()` + first `index.html` response, median of 8, alternating with the next row, after one warm-up each'],
      ['Vite dev server start, with the plugin', `${ms(vite.with.median)} ms (min ${ms(vite.with.min)}, max ${ms(vite.with.max)})`, `ratio ${x(vite.with.median / vite.without.median)}`],
      ['standalone server idle, RSS', `${mib(memory.liveAssets.rss)} MiB (heap ${mib(memory.liveAssets.heapUsed)} MiB)`, '`createLiveServer()` alone in a process, after `gc()`, median of 3'],
      ['bare `node:http` server idle, RSS', `${mib(memory.bare.rss)} MiB (heap ${mib(memory.bare.heapUsed)} MiB)`, `for reference: live-assets adds ${mib(memory.liveAssets.rss - memory.bare.rss)} MiB`],
    ]), '')
  }

  if (report.engines)
    md.push(...enginesSection(report.engines), '')

  if (report.bus)
    md.push(...busSection(report.bus), '')

  md.push(...explain(report), '')
  // Raw samples of the run, for a second look; not committed (test/.tmp is ignored).
  if (!saved) {
    await mkdir(path.dirname(RESULTS), { recursive: true })
    await writeFile(RESULTS, JSON.stringify({ startedAt, versions, before, after, report }, null, 2))
  }
  await writeFile(path.join(ROOT, values.out), `${md.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`)
  console.log(`\nwrote ${values.out}${report.latency ? ' and test/bench/latency.svg' : ''}`)
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
