// @ts-check
/** Targets of issue 7 checked against the results, and the written reasons for what is missed. */

const ms = v => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '-')
const x = v => (v === undefined || !Number.isFinite(v) ? '-' : `${v.toFixed(2)}x`)
const yes = ok => (ok ? 'met' : '**missed**')
/** One frame at 60 Hz: the resolution of a latency that ends at an animation frame. */
const FRAME = 1000 / 60

/** A Markdown table. */
export function table(headers, rows) {
  const line = cells => `| ${cells.join(' | ')} |`
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n')
}

/** A bound made of other systems of the run: one system's median latency plus another's median rebuild. */
function boundOf(r, byName) {
  return (byName[r.bound.swap]?.median ?? Number.NaN) + (byName[r.bound.rebuild]?.rebuild?.median ?? Number.NaN)
}

/** What every page loads, min + gzip (issue 17). */
const CLIENT_TARGET_BYTES = 5 * 1024

/** Rows of [target, result, met?] for the latency section. */
export function latencyTargets(results) {
  const rows = []
  const byName = Object.fromEntries(results.map(r => [r.name, r]))
  for (const r of results.filter(r => r.bound)) {
    const swap = byName[r.bound.swap]
    const rebuild = byName[r.bound.rebuild]
    const limit = boundOf(r, byName)
    rows.push([`${r.label}: median ≤ ${swap.label} + ${rebuild.label}'s rebuild`, `${ms(r.median)} vs ${ms(swap.median)} + ${ms(rebuild.rebuild?.median)} = ${ms(limit)}`, yes(r.median <= limit)])
  }
  for (const r of results.filter(r => r.target !== undefined)) {
    const peer = results.find(p => p.name === r.peer)
    rows.push([`${r.label}: median ≤ ${r.target.toFixed(1)}x ${peer.label}`, `${ms(r.median)} vs ${ms(peer.median)} = ${x(r.ratio)}`, yes(r.ratio <= r.target)])
    if (r.p95Target !== undefined)
      rows.push([`${r.label}: p95 ≤ ${r.p95Target.toFixed(1)}x ${peer.label}`, `${ms(r.p95)} vs ${ms(peer.p95)} = ${x(r.p95Ratio)}`, yes(r.p95Ratio <= r.p95Target)])
  }
  for (const r of results.filter(r => r.ours && !r.diagnostic))
    rows.push([`${r.label}: 0 reloads, 0 flash frames, 0 missed`, `${r.reloads} reloads, ${r.flashes} flash frames, ${r.missed} missed`, yes(!r.reloads && !r.flashes && !r.missed)])
  return rows
}

function fanoutRow(rows, n) {
  return {
    ours: rows.find(r => r.system === 'live-assets' && r.n === n),
    peer: rows.find(r => r.system === 'webpack-hot-middleware' && r.n === n),
  }
}

/** Rows of [target, result, met?] for the fan-out section. */
export function fanoutTargets(rows) {
  const n = Math.max(...rows.map(r => r.n))
  const { ours, peer } = fanoutRow(rows, n)
  if (!ours)
    return []
  const out = [
    [`p99 ≤ 50 ms at ${n.toLocaleString('en')} clients`, ms(ours.p99), yes(ours.p99 <= 50)],
    [`≤ 6 KiB RSS per connection at ${n.toLocaleString('en')}`, `${(ours.rssPerConnection / 1024).toFixed(2)} KiB`, yes(ours.rssPerConnection <= 6 * 1024)],
    [`idle CPU ≤ 1 % of a core at ${n.toLocaleString('en')}`, `${ours.idleCpuPercent.toFixed(3)} %`, yes(ours.idleCpuPercent <= 1)],
  ]
  for (const row of rows.filter(r => r.system === 'live-assets')) {
    out.push([`0 events lost at ${row.n.toLocaleString('en')}`, `${row.lost} lost`, yes(row.lost === 0)])
  }
  if (peer) {
    out.push([`p99 ≤ 0.5x webpack-hot-middleware at ${n.toLocaleString('en')}`, `${ms(ours.p99)} vs ${ms(peer.p99)} = ${x(ours.p99 / peer.p99)}`, yes(ours.p99 / peer.p99 <= 0.5)])
    out.push([`RSS per connection ≤ 0.5x webpack-hot-middleware at ${n.toLocaleString('en')}`, `${(ours.rssPerConnection / 1024).toFixed(2)} vs ${(peer.rssPerConnection / 1024).toFixed(2)} KiB = ${x(ours.rssPerConnection / peer.rssPerConnection)}`, yes(ours.rssPerConnection / peer.rssPerConnection <= 0.5)])
  }
  return out
}

/**
 * Why live-assets pings as often as it does, with this run's cost of a ping: the idle window holds one heartbeat
 * period, so its CPU is what one ping costs (the write to every stream and the collection of what the writes leave).
 */
export function heartbeatNote(rows) {
  const n = Math.max(...rows.map(r => r.n))
  const { ours } = fanoutRow(rows, n)
  if (!ours)
    return []
  const pingMs = ours.idleCpuPercent / 100 * ours.idleMs
  const period = ours.heartbeatMs / 1000
  return [
    `- **The heartbeat (${period} s).** A ping is one write per stream: in this run one cost ${ms(pingMs)} of CPU at ${n.toLocaleString('en')} streams (${(pingMs / n * 1000).toFixed(1)} µs per stream), which every 30 s (the previous default) would be ${(pingMs / 300).toFixed(2)} % of a core. A ping every ${period} s leaves ${60 - period} s under the 60 s idle timeout of common proxies (nginx's \`proxy_read_timeout\`, AWS ALB), so a ping up to ${60 - period} s late still keeps a proxied stream, and the client's watchdog gives a silent stream 2.5 heartbeats, so a half-open stream is given up after ${2.5 * period} s (the page then resumes from its last event id: nothing is lost).`,
    '- **Where a ping\'s CPU goes** (measured at 10,000 streams and a 45 s heartbeat, in slots of 500 ms over three periods, with the same raw clients): the writes, 156 to 188 ms per ping (16 to 19 µs per stream, two thirds of it system time: `write()` on loopback, whose receive half runs inside the sender), and no full collection after them. The broadcaster frames each ping once as an HTTP/1.1 chunk and writes it to the socket of every plain `node:http` stream. Through `res.write()`, which frames it again per stream in four corked writes and leaves about 1 KB of garbage each, the same pings cost 245 to 510 ms, and full collections followed them (4 in 135 s): 1.38 % of a core over those three periods, against 0.66 % (0.45 % without the one-off collections that follow connecting 10,000 streams). A stream whose `write` a middleware wraps (compression), and HTTP/1.0 and HTTP/2 streams, still get `res.write()`, and so do events: framed the same way, a second copy of every 16 KiB event left the server\'s RSS 20 MB higher on Node 24 in the slow-reader stress test, and an event is not what idle costs.',
    '',
  ]
}

/** The CLI path in Chromium, Firefox and WebKit: method, results and what each engine's figures can and cannot say. */
export function enginesSection({ results }) {
  const perEngine = Math.max(...results.map(r => r.count + r.missed))
  const by = Object.fromEntries(results.map(r => [r.name, r]))
  const step = r => (r.clock ? `${r.clock.step < 0.5 ? r.clock.step.toFixed(2) : r.clock.step.toFixed(1)} ms` : '-')
  const frame = r => (r.clock ? `${r.clock.frame.toFixed(1)} ms` : '-')
  const out = ['## 4. Save → restyle in Chromium, Firefox and WebKit (CLI path)', '']
  out.push('### Method', '')
  out.push(
    `- The system is section 1's CLI row: the backend playground's page server with the \`live-assets\` CLI beside it, one pair (and one temp project) per engine, the same page and stylesheet edits. The engines are ${results.map(r => `\`${r.label}\``).join(', ')}, launched by the e2e tests' own driver (\`test/utils/engines.ts\`, loaded through Vite's \`runnerImport()\`): headless Chromium through playwright-core, headless Firefox ESR through puppeteer-core over WebDriver BiDi, and WebKitGTK's MiniBrowser through WebKitWebDriver under \`xvfb-run\`.`,
    '- Measured as section 1 measures: the same `requestAnimationFrame` probe loop (the first frame showing each new `#probe` colour, every frame without the `#sentinel` rule, every document load), the same clock offset from the fastest of three round trips before each edit, the same `performance.timeOrigin + performance.now()` in Node just before `writeFile()`, and the same group loop (`measureGroup()` in `test/bench/latency.mjs`).',
    `- Per engine: 3 warm-up edits, then ${perEngine} measured edits; all edits of all three engines (warm-ups first) are shuffled into one random order, with a random pause of 150-450 ms after each restyle, so background load on this shared machine falls on the three alike. An edit that shows no restyle within 10 s counts as **missed**.`,
    '- **What differs from section 1:** Firefox over BiDi and WebKit over classic WebDriver have no binding a page can call, so the probe loop is installed into the page after load (in all three engines, Chromium included, so that they are measured alike), its reports wait in a queue in the page, and the bench drains the queue every 25 ms. Each report carries the page time of its frame, so the drain decides when Node learns of a frame, not the latency it records; the drain calls do add a little work to each page. A reload cannot be caught by an init script here: a drain that finds no queue is a new document, counted as a reload, and the probe is installed again.',
    '- **Positive controls** on every page after its measurement, as in section 1: all stylesheets removed for two frames must count as a flash, and one `location.reload()` as a reload.',
    '',
  )
  out.push('### Results (ms)', '')
  out.push(table(
    ['engine', 'n', 'min', 'median', 'p95', 'max', 'median vs Chromium', 'p95 vs Chromium', 'reloads', 'flash frames', 'missed', 'controls (flash / reload detected)'],
    results.map(r => [r.label, r.count, ms(r.min), ms(r.median), ms(r.p95), ms(r.max), r.name === 'chromium' ? 'reference' : x(r.ratio), r.name === 'chromium' ? 'reference' : x(r.p95Ratio), r.reloads, r.flashes, r.missed, `${r.control.flashDetected ? 'yes' : 'NO'} / ${r.control.reloadDetected ? 'yes' : 'NO'}`]),
  ), '')
  out.push('### Where the time goes, and the clocks (ms)', '')
  out.push(
    '- **write → client event** and **client event → frame** split each sample at the client\'s `live-assets:before-swap` event, which the probe records too: before it, the CLI\'s watcher, the publish and the stream into the page; after it, the stylesheet fetch, its load and the restyled frame. The second part is read on the page clock alone, so no clock offset enters it.',
    '- **one offset for the run**: the same samples corrected by one offset, the estimate with the smallest round trip of the run, instead of the estimate taken before each edit. Both clocks run from the machine\'s monotonic clock, so the true offset does not change within a document; where the two columns differ, a slow round trip moved a sample.',
    '',
  )
  out.push(table(
    ['engine', 'write → client event (median)', 'client event → frame (median / p95)', 'one offset for the run (median / p95)', '`performance.now()` step', 'frame interval (median)', 'clock round trip (median / max)'],
    results.map(r => [r.label, ms(r.toSwap?.median), `${ms(r.swapToFrame?.median)} / ${ms(r.swapToFrame?.p95)}`, `${ms(r.oneOffset?.median)} / ${ms(r.oneOffset?.p95)}`, step(r), frame(r), `${ms(r.offsetRtt?.median)} / ${ms(r.offsetRtt?.max)}`]),
  ), '')
  const spread = values => Math.max(...values) - Math.min(...values)
  const before = results.map(r => r.toSwap?.median ?? Number.NaN)
  const after = results.map(r => r.swapToFrame?.median ?? Number.NaN)
  out.push('### How far these figures can be read', '')
  out.push(
    `- **Where the engines differ.** Before the client event the path is the same code in all three (the CLI's watcher, its publish, the stream into the page): ${results.map(r => `${ms(r.toSwap?.median)} in ${r.name}`).join(', ')}. After it: ${results.map(r => `${ms(r.swapToFrame?.median)} in ${r.name}`).join(', ')}. ${spread(after) > spread(before) ? 'So most of the difference between the engines is in the engine\'s own part: fetching and applying the new sheet and the frame that shows it.' : 'So most of the difference between the engines is before the page: in how each engine\'s stream (or worker) hands the event on.'}`,
    `- **Frames.** Every latency ends at an animation frame: the frame interval measured in each page (median of 30 frames) was ${results.map(r => `${frame(r)} in ${r.name}`).join(', ')}. In one run, a difference smaller than a frame can come from the phase of the edits against each engine's frame clock alone: read the medians to about a frame, and a smaller difference as real only where it comes back run after run (the split above says where it lies).`,
    `- **Timer resolution.** The smallest step of \`performance.now()\` seen in the page: ${results.map(r => `${step(r)} in ${r.name}`).join(', ')}. Browsers coarsen this clock against timing attacks, and a page that is not cross-origin isolated, as this one, gets the coarser clock where an engine has two; so a Firefox or WebKit sample, and the clock offset it is corrected by, is good to about a millisecond, well under a frame.`,
    `- **Clock offset through each driver.** The offset between the page clock and Node's is read through the driver: the Chrome DevTools Protocol for Chromium, BiDi for Firefox, and for WebKit two WebDriver HTTP requests per call (the driver switches to the tab's window, then runs the script), so its round trip is the longest (median ${ms(by.webkit?.offsetRtt?.median)}; Chromium ${ms(by.chromium?.offsetRtt?.median)}, Firefox ${ms(by.firefox?.offsetRtt?.median)}). The estimate takes the page time to be at the middle of the round trip, so it can be off by up to half of it, and for WebKit it leans late (the script runs in the second request): its latencies may read up to about ${ms((by.webkit?.offsetRtt?.median ?? Number.NaN) / 2)} short. The "one offset for the run" column shows what the per-edit estimates did to the figures.`,
    '- **WebKit is MiniBrowser under Xvfb, not Safari.** MiniBrowser is WebKitGTK\'s small test browser, the one the e2e tests drive through WebKitWebDriver; it runs in a real window on a virtual X server (`xvfb-run`), with software rendering (no GPU) and no window manager or desktop compositor, so its frame rate is whatever WebKitGTK gives a window on that display (the frame interval above). Safari on macOS shares the engine (style, CSSOM, `<link>` loading) but not the network stack (libsoup here, Apple\'s loader there) nor the display link, so these figures speak for WebKit\'s part of the path, not for Safari\'s absolute times.',
    '- **Firefox is headless ESR**, the release Debian ships, in which the e2e tests run the same client; headless, it has no display to pace its frames, so their rate is its own (the frame interval above).',
    '- **Read the ratios within this run.** Each engine has its own backend and CLI, so the three share the machine\'s load, not each other\'s servers; the Chromium row here measures the same path as section 1\'s CLI row, through the drained queue instead of a binding.',
    '',
  )
  for (const r of results.filter(r => r.reloads || r.flashes || r.missed || !r.control.flashDetected || !r.control.reloadDetected))
    out.push(`- **${r.label}: ${r.reloads} reloads, ${r.flashes} flash frames, ${r.missed} missed edits, controls ${r.control.flashDetected ? 'yes' : 'NO'} / ${r.control.reloadDetected ? 'yes' : 'NO'}.** See the run log; this needs investigating before the next release.`, '')
  return out
}

/**
 * Fan-out through the Redis bus against the in-process one: method, the bus alone, fan-out at each N, and the model
 * of how capacity grows with processes and machines, with its figures from this run.
 */
export function busSection({ redisVersion, sizes, rounds, clientProcesses, heartbeatMs, clkTck, eventBytes, scriptBytes, bursts, results, durationMs }) {
  const us = v => (!Number.isFinite(v) ? '-' : Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} µs`)
  const count = v => Math.round(v).toLocaleString('en')
  /** Two significant digits: what a model's output is good for. */
  const about = v => Number(v.toPrecision(2)).toLocaleString('en')
  const row = (system, n) => results.find(r => r.system === system && r.n === n)
  const by = Object.fromEntries(bursts.map(b => [b.system, b]))
  const memory = by.memory
  const one = by['redis-1']
  const two = by['redis-2']
  const small = Math.min(...sizes)
  const large = Math.max(...sizes)
  const N = large.toLocaleString('en')
  // The bus's own cost per event in a Node process: what the Redis systems spend beyond the in-process one.
  const appendAndRead = one.cpuUs[0] - memory.cpuUs[0]
  const readOnly = two.cpuUs[1] - memory.cpuUs[0]
  // Redis per event: a fixed part (the append) and a part per process that reads the log.
  const perReader = two.redisCpuUs.stat - one.redisCpuUs.stat
  const redisBase = one.redisCpuUs.stat - perReader
  const redisAt = p => redisBase + perReader * p
  const outPerReader = two.redisBytes.out - one.redisBytes.out
  // Delivery in one process: a fixed part per event, measured with no stream open, and a part per stream, from the
  // largest in-process row; the smaller row checks that the two add up.
  const mSmall = row('memory', small)
  const mLarge = row('memory', large)
  const fixed = memory.cpuUs[0]
  const perStream = (mLarge.cpuMs * 1000 - fixed) / large
  const delivery = streams => fixed + perStream * streams
  const budgetMs = 50
  const streamsPerProcess = (budgetMs * 1000 - fixed - appendAndRead) / perStream
  const rate = 10
  const maxProcesses = (1e6 / rate - redisBase) / perReader
  /** SSE bytes of one event on a real network: the event, HTTP/1.1 chunk framing and TCP/IP headers (~60 B). */
  const wireBytes = eventBytes + 60
  const streamsPerLink = 1e9 / 8 / (rate * wireBytes)
  const r1 = row('redis-1', large)
  const r2 = row('redis-2', large)
  const perStreamAt = (r, i, overhead) => (r.processCpuMs[i] * 1000 - fixed - overhead) / (r.open / r.processes)
  const quartiles = r => r.cpuMsQuartiles.map(v => v.toFixed(1)).join('-')
  const spread = (b, i) => b.cpuUsQuartiles[i].map(v => v.toFixed(0)).join('-')

  const out = ['## 5. Fan-out through the Redis bus', '']
  out.push('### Method', '')
  out.push(
    `- Three systems at equal N, all measured in one run: **memoryBus, 1 process** (the default in-process bus), **redisBus, 1 process** (\`createLiveServer({ bus: redisBus({ url }), requireBus: true })\`), and **redisBus, 2 processes** (two such servers on one Redis, the N streams split evenly, every event published by the first). The servers are section 2's (\`test/bench/fanout-server.mjs\`, with \`--redis <url>\` for the Redis systems), each alone in its own process, with heartbeats every ${heartbeatMs / 60_000} minutes so that none falls into a measurement. Each Redis system has its own redis-server ${redisVersion} (\`test/utils/redis.ts\`, loaded through Vite's \`runnerImport()\`: loopback, a temp directory, no persistence), so that a redis-server's CPU is one system's alone.`,
    `- The bus is wrapped in each server process so that the process times its own deliveries: the moment an entry reaches its broadcaster, the moment its writes have been sent (a \`setImmediate\` after it, as section 2's **sent ms**), and \`process.cpuUsage()\` from the start of the round until then.`,
    `- **The bus alone**: ${one.events.toLocaleString('en')} events per system with no stream open, published one after the other, each ${one.gapMs} ms after the one before reached the publisher (so that every read of the Redis stream carries one entry, as with events seconds apart: the share of reads that carried more is in the table), in ${one.blocks} blocks per system after one unmeasured warm-up block, all blocks of the three systems in one random order. Per event: the CPU of each server process (the median of its blocks, their quartiles beside it), **publish → id** (the append's round trip), **publish → entry** at the publisher, and the redis-server's CPU from \`/proc/<pid>/stat\` (utime + stime, in ticks of ${1000 / clkTck} ms, summed over the blocks), beside the same from \`se.sum_exec_runtime\` in \`/proc/<pid>/task/*/sched\` (ns), both less the redis-server's idle CPU (read over 3 s before: ${one.redisIdlePercent.toFixed(2)} % and ${two.redisIdlePercent.toFixed(2)} % of a core) over the same time; and the bytes Redis read and wrote (INFO \`total_net_input_bytes\` / \`total_net_output_bytes\`, the INFO calls themselves taken off).`,
    `- **Fan-out**: per N, every system's N streams open at once (raw loopback clients, \`test/bench/fanout-clients.mjs\`, ${clientProcesses} client processes per system, going round its server processes), one warm-up round each, then ${rounds} rounds per system, all rounds of the three shuffled into one order, 200-500 ms apart. Latency is publish (taken in the publishing process) → the read holding the event returning in the client, on the same clock. **CPU / event** is the sum over the system's server processes (median over rounds, quartiles beside it); **hop** is publish → the entry reaching each server process: the bus's latency. The whole section took ${(durationMs / 60_000).toFixed(1)} minutes.`,
    '',
  )
  out.push('### The bus alone, per event (no streams)', '')
  out.push(table(
    ['system', 'CPU, publisher', 'CPU, the other process', 'beyond memoryBus', 'publish → id (median / p99)', 'publish → entry (median / p99)', 'redis-server CPU (`stat` / `sched`)', 'Redis bytes in / out', 'reads with 2+ entries'],
    bursts.map(b => [
      b.label,
      `${us(b.cpuUs[0])} (${spread(b, 0)})`,
      b.cpuUs[1] === undefined ? '-' : `${us(b.cpuUs[1])} (${spread(b, 1)})`,
      b.system === 'memory' ? 'reference' : b.cpuUs.map(v => us(v - memory.cpuUs[0])).join(' / '),
      `${b.appendMs.median.toFixed(3)} / ${b.appendMs.p99.toFixed(2)} ms`,
      `${b.entryMs.median.toFixed(3)} / ${b.entryMs.p99.toFixed(2)} ms`,
      b.redisCpuUs ? `${us(b.redisCpuUs.stat)} / ${us(b.redisCpuUs.sched)}` : '-',
      b.redisBytes ? `${count(b.redisBytes.in)} / ${count(b.redisBytes.out)} B` : '-',
      b.batched.map(v => `${(v * 100).toFixed(1)} %`).join(' / '),
    ]),
  ), '')
  out.push(
    `Every event here wakes the publishing process from a timer, as a file change wakes it: the same in-process events published back to back cost ${us(memory.backToBackUs)} each instead of ${us(memory.cpuUs[0])}. On top of that the bus costs a Node process **${us(appendAndRead)} per event where it publishes** (two requests more to write, the append and the next blocking read, and two replies to read) and **${us(readOnly)} where it only reads** (one reply, one request). Redis spends **${us(redisBase)} per event plus ${us(perReader)} per process that reads the log**, and writes ${count(outPerReader)} B to each of them; of the ${count(one.redisBytes.in)} B it reads per event with one process, ${scriptBytes} B are the append's Lua script, which \`redisBus\` sends in full with every \`EVAL\`.`,
    '',
  )
  out.push('### Fan-out through the bus', '')
  out.push(table(
    ['N', 'system', 'streams per process', 'p50', 'p99', 'max', 'sent', 'hop (per process)', 'CPU / event (quartiles)', 'CPU / event per process', 'lost'],
    results.map(r => [r.n.toLocaleString('en'), r.label, (r.open / r.processes).toLocaleString('en'), ms(r.median), ms(r.p99), ms(r.max), ms(r.sentMs), `${r.hopMs.map(v => v.toFixed(2)).join(' / ')} ms`, `${ms(r.cpuMs)} (${quartiles(r)})`, `${r.processCpuMs.map(v => v.toFixed(1)).join(' + ')} ms`, `${r.lost} of ${(r.open * r.rounds).toLocaleString('en')}`]),
  ), '')
  out.push(`The hop is longer here than back to back above (${one.entryMs.median.toFixed(2)} ms): a round starts after 200-500 ms of idle, and every process on the way wakes up cold.`, '')
  out.push('### How capacity grows with processes and machines', '')
  out.push(
    `- **Per process.** Delivering one event costs a process a fixed part, ${us(fixed)} with no stream open (the memoryBus row of the bus alone), and a part per stream, ${us(perStream)} from the memoryBus row at ${N}; at ${small.toLocaleString('en')} streams that adds up to ${ms(delivery(small) / 1000)}, measured ${ms(mSmall.cpuMs)} (quartiles ${quartiles(mSmall)}). A process on the Redis bus adds the bus's cost above, ${us(appendAndRead)} where it publishes and ${us(readOnly)} where it reads: at ${N} streams ${(appendAndRead / delivery(large) * 100).toFixed(2)} % of the delivery, as much as ${count(appendAndRead / perStream)} more streams. It does not show at ${N}: one Redis process ${ms(r1.cpuMs)} per event (quartiles ${quartiles(r1)}), in process ${ms(mLarge.cpuMs)} (${quartiles(mLarge)}).`,
    `- **Latency is the budget.** A process sends an event to its streams one after the other on one core, so the last one has it about one delivery's CPU after the publish (**sent** ≈ **CPU / event** above). For section 2's p99 target of ${budgetMs} ms, a process with a core of its own serves about (${budgetMs} ms − ${us(fixed + appendAndRead)}) / ${us(perStream)} ≈ **${about(streamsPerProcess)} streams**. Throughput is no limit at live-reload rates: a core delivers ${about(1e6 / perStream)} stream-events a second.`,
    `- **Processes and machines.** Processes share no work: each delivers to its own streams and reads each event once from Redis, so **capacity ≈ processes × ${about(streamsPerProcess)} streams**, one process per free core, on as many machines as it takes, until Redis or a network saturates. Redis runs commands on one thread and spends ${us(redisBase)} + ${us(perReader)} × processes per event: at ${rate} events a second (a busy team), its core is full at about **${about(maxProcesses)} processes** (≈ ${about(maxProcesses * streamsPerProcess)} streams), and its output is ${count(outPerReader)} B per process per event. Per machine the nearer limit is its link: each stream takes ≈ ${wireBytes} B per event on the wire (${eventBytes} B of SSE, the rest chunk framing and TCP/IP headers), so a 1 Gbit/s link carries ≈ ${about(streamsPerLink)} streams at ${rate} events a second, the work of ${about(streamsPerLink / streamsPerProcess)} processes: a machine with fewer cores runs out of cores first.`,
    `- **Assumptions.** Delivery cost is linear in the streams (checked at ${small.toLocaleString('en')} above; section 2 measures the same path at three N${perStreamAt(r2, 0, appendAndRead) < perStream ? `; the two-process rows cost less per stream at ${(r2.open / r2.processes).toLocaleString('en')} than the fit says, so it errs on the safe side` : ''}); each server process has a core of its own and the clients are on other machines, so that the receive half of each loopback send, which Linux runs inside the sender's system call, leaves the server (the per-stream cost here is an upper bound for a real network); events are sparse, one entry per read (a burst is read up to 1,000 entries at a time and costs less per event); Redis's cost grows linearly with the processes reading it (two points: 1 and 2), on a core of its own; a LAN adds its round trip to each of the bus's two hops (publisher → Redis, Redis → process), which are on loopback here; heartbeats and the processes' presence in Redis (every 5 s) are left out.`,
    '',
  )
  out.push(table(
    ['server processes', `streams (${about(streamsPerProcess)} each)`, 'Redis CPU per event', `Redis's core at ${rate} events/s`, 'events/s that fill Redis\'s core', 'Redis output per event'],
    [1, 2, 10, 100, 1000].map(p => [p.toLocaleString('en'), about(p * streamsPerProcess), us(redisAt(p)), `${(redisAt(p) * rate / 1e4).toFixed(2)} %`, about(1e6 / redisAt(p)), `${count(p * outPerReader)} B`]),
  ), '')
  out.push('### What 2 cores here can and cannot show', '')
  out.push(
    `- **Can:** the bus's cost per event in each process and in Redis, and that it does not grow with the streams (Redis never sees one); that two processes split the work without extra cost: at ${N} they spent ${r2.processCpuMs.map(v => `${v.toFixed(1)} ms`).join(' and ')} per event (${(r2.open / r2.processes).toLocaleString('en')} streams each, ${us(perStreamAt(r2, 0, appendAndRead))} and ${us(perStreamAt(r2, 1, readOnly))} per stream), together ${ms(r2.cpuMs)} against ${ms(r1.cpuMs)} for one process with all ${N} (${us(perStreamAt(r1, 0, appendAndRead))} per stream); the latency of the hop through Redis (${r1.hopMs.map(v => v.toFixed(2)).join(' / ')} ms with one process, ${r2.hopMs.map(v => v.toFixed(2)).join(' / ')} ms with two, ${mLarge.hopMs[0].toFixed(2)} ms in process); and that no event is lost across processes.`,
    `- **Cannot:** capacity growing with processes. The two server processes share this machine's 2 cores with the ${clientProcesses} client processes reading their streams and with both redis-servers, so neither has a core of its own: the two-process p50 and p99 at ${N} (${ms(r2.median)} / ${ms(r2.p99)}, one process ${ms(r1.median)} / ${ms(r1.p99)}) are what two processes gain while taking turns with their readers, not the 2x the model gives them on free cores. Nor Redis's saturation (about ${about(maxProcesses)} processes at ${rate} events a second), a real network (all of this is loopback), or several machines: those need the clients elsewhere and a core per server process. The model says what to expect there, from the costs per stream and per event measured here.`,
    '',
  )
  return out
}

/** The "what was missed and why" section, written from the numbers of this run. */
export function explain({ latency, fanout, small }) {
  const out = ['## What was missed, why, and what would fix it', '']
  if (small && small.client.gzip > CLIENT_TARGET_BYTES) {
    const over = small.client.gzip - CLIENT_TARGET_BYTES
    out.push(
      `- **Browser client, ${small.client.gzip.toLocaleString('en')} B min + gzip (target ≤ ${CLIENT_TARGET_BYTES.toLocaleString('en')} B, ${over} B over).** What every page loads`,
      '  is the normal path alone: the debug lines are in a build of their own, served only for `debug: true`, and what',
      `  few pages need (the error overlay, images and fonts, frames and shadow roots, \`@import\` partials, renamed outputs,`,
      `  the refusal warning) is in the extras (${small.client.extras ? small.client.extras.gzip.toLocaleString('en') : '-'} B), loaded the first time a page needs them. The floor,`,
      '  measured on 5,515 B by deleting each remaining feature from a copy, one at a time (gzip saved): the leader-tab',
      '  election that every page of a server on another origin (the CLI) or without `SharedWorker` uses, 306 B; the stream',
      '  held in a dedicated worker, which keeps Firefox\'s back/forward cache, 195 B; reading `@import`s, 100 B; frames',
      '  sharing their parent\'s stream, 94 B; the shared worker, 84 B; the loopback cap on the reconnect backoff, 60 B;',
      '  the scan of constructed sheets, 46 B; the refresh after a back navigation, 37 B; the fallback line, 37 B. Rewriting',
      '  repeated code gained nothing after gzip, and terser instead of the shipped minifier about 60 B. **What would fix',
      '  it:** giving up one of those features, or loading the leader-tab election on demand, which would add a request',
      '  at start to every CLI page: both cost more than the bytes.',
      '',
    )
  }
  if (latency) {
    const r = Object.fromEntries(latency.results.map(result => [result.name, result]))
    const native = r['vite-native']
    const slow = ['vite', 'backend'].map(name => r[name]).filter(ours => ours && native && ours.ratio > ours.target)
    if (slow.length) {
      const slowest = Math.max(...native.samples)
      const tails = slow.map((ours) => {
        // More than a frame (16.7 ms) beyond Vite's slowest: not jitter.
        const tail = ours.samples.filter(v => v > slowest + FRAME)
        const rest = ours.samples.filter(v => v <= slowest + FRAME).sort((p, q) => p - q)
        if (!tail.length)
          return `${ours.label}: none of ${ours.samples.length} edits took more than a frame longer than Vite's slowest (${ms(slowest)})`
        return `${ours.label}: ${tail.length} of ${ours.samples.length} edits took more than a frame longer than Vite's slowest (${ms(slowest)}), ${ms(Math.min(...tail))} to ${ms(Math.max(...tail))}; the other ${rest.length} have a median of ${ms(rest[Math.floor(rest.length / 2)])} (Vite ${ms(native.median)})`
      })
      out.push(
        `- **${slow.map(ours => `${ours.label} (${x(ours.ratio)}, ${ms(ours.median - native.median)} more)`).join(' and ')} vs Vite's link swap, target ≤ 1.0x.**`,
        '  Measured step by step in Chromium (issue 17; a separate run of 57 to 87 edits per system, Vite public CSS against',
        '  Vite\'s link swap): from the write to the event leaving the server, 2.2 ms against 2.3 ms (the change collector,',
        '  `packages/core/src/changes.ts`, reads a small save once, synchronously); from there to the page, 0.7 ms against',
        '  0.3 ms (our stream is in the shared worker, then its port, and the CLI\'s in the dedicated worker that keeps',
        '  Firefox\'s back/forward cache; Vite\'s WebSocket is in the page); from the page to the',
        '  stylesheet\'s request, 0.8 ms against 0.6 ms. The request itself is 0.6 to 1.6 ms shorter (the file as it is, not',
        '  through Vite\'s transform). The one sheet of an event loads visible, so the browser applies it as soon as it is',
        '  parsed, as Vite\'s does: the earliest frames (p10) now come 1.0 ms after its load event (Vite 0.6 ms); hidden until',
        '  our load handler, they came 2.4 ms after it. Per system:',
        `  ${tails.join('; ')}.`,
        '  So the two are level, within a millisecond, until the frame, and which frame a restyle lands in decides the',
        `  rest: a single run of 30 edits swings by about 0.15x, and this run's ${native.samples.length} per system put the medians ${ms(Math.min(...slow.map(ours => ours.median - native.median)))} to ${ms(Math.max(...slow.map(ours => ours.median - native.median)))} apart, under a`,
        `  tenth of a frame, with the p95s at ${slow.map(ours => x(ours.p95Ratio)).join(' and ')}. **The floor** is the worker hop. Every path into the`,
        '  page goes through a worker because Firefox keeps a page that has had an EventSource of its own out of the',
        '  back/forward cache, even one closed in `beforeunload` (`packages/client/src/source.ts`; a worker\'s does not',
        '  count). **What would fix it:** an EventSource in the page in the engines whose cache allows it, which takes',
        '  engine-specific code for about 0.4 ms, and a hand-over to the shared worker when a second tab opens. Not built.',
        '',
      )
    }
    for (const [name, peerName, label] of [['webpack', 'webpack-hmr', 'mini-css-extract HMR'], ['rspack', 'rspack-native', 'Rspack native CSS HMR']]) {
      const ours = r[name]
      const peer = r[peerName]
      if (!ours || !peer || ours.ratio <= ours.target)
        continue
      out.push(`- **${ours.label} vs ${label} (${x(ours.ratio)}, target ≤ 0.5x).** Both wait for the bundler's rebuild before anything can`, `  reach the page. Rebuild (watcher \`invalid\` -> \`done\`, measured in the same run): median ${ms(ours.rebuild?.median)} for live-assets' setup, ${ms(peer.rebuild?.median)} for the peer's;`, `  that is ${ours.rebuild ? Math.round(ours.rebuild.median / ours.median * 100) : '?'} % of live-assets' median latency. What live-assets saves is the`, '  HMR round trips after the build (hot-update manifest, then the update chunk, then the stylesheet): one stylesheet', '  fetch instead. 0.5x of the peer would need the rebuild alone to take less than half of the peer\'s total, which', `  it does not on this setup (peer median ${ms(peer.median)}, half of it ${ms(peer.median / 2)}). **What would fix it** is outside`, '  the swap: a faster rebuild (smaller CSS pipeline), or publishing the changed sheet\'s URL from the `invalid` hook', '  before the build finishes (not safe: the page would fetch the old content).', '')
    }
    const rollup = r.rollup
    if (rollup?.bound) {
      const limit = boundOf(rollup, r)
      const peer = r[rollup.peer]
      if (rollup.reloads || !(rollup.median <= limit)) {
        out.push(`- **${rollup.label}: median ${ms(rollup.median)} against a bound of ${ms(limit)} (LiveReload's swap ${ms(r[rollup.bound.swap]?.median)} + Rollup's rebuild ${ms(r[rollup.bound.rebuild]?.rebuild?.median)}), ${ms(rollup.median - limit)} over.**`, `  The bound is the floor of any Rollup path: the reference row has one watcher and one swap and no build at all. Ours`, `  has one watcher too (Rollup's; live-assets publishes from \`writeBundle\` without watching \`dist/\` again), the rebuild`, `  (${ms(rollup.rebuild?.median)} median in this setup), then the event and one stylesheet fetch, the same work as livereload.js's swap.`, `  ${ms(rollup.median - limit)} is a small fraction of a frame (${ms(FRAME)}), the step in which every latency here ends; read it as even. What`, `  users get today with the documented setup is the peer row: ${ms(peer?.median)} median and ${peer?.reloads ?? '-'} full reloads in ${peer ? peer.count + peer.missed : '-'} edits (Rollup rewrites`, '  `main.js` and `index.html` on every build, and LiveReload reloads the page for any file that is not a stylesheet).', '')
      }
    }
    const esbuild = r.esbuild
    if (esbuild && r['esbuild-serve'] && esbuild.ratio > esbuild.target) {
      out.push(`- **${esbuild.label} vs esbuild's serve() live reload (${x(esbuild.ratio)}, target ≤ 1.0x).** Both wait for esbuild's`, '  polling watcher and its rebuild; the serve() snippet then reloads the page, live-assets fetches one stylesheet.', '  See the run log for where the difference went.', '')
    }
    const dirty = latency.results.filter(res => res.ours && !res.diagnostic && (res.reloads || res.flashes || res.missed))
    for (const res of dirty)
      out.push(`- **${res.label}: ${res.reloads} reloads, ${res.flashes} flash frames, ${res.missed} missed edits.** See the run log; this needs investigating before the next release.`, '')
  }
  if (fanout) {
    const n = Math.max(...fanout.map(f => f.n))
    const N = n.toLocaleString('en')
    const { ours, peer } = fanoutRow(fanout, n)
    const kib = v => `${(v / 1024).toFixed(2)} KiB`
    /** Server CPU per stream and event, in µs. */
    const perStream = r => (r ? (r.publishCpuMs / r.n * 1000).toFixed(1) : '-')
    if (ours && (ours.p99 > 50 || (peer && ours.p99 / peer.p99 > 0.5))) {
      out.push(
        `- **Fan-out p99 at ${N} clients (${ms(ours.p99)}; webpack-hot-middleware ${ms(peer?.p99)}; targets ≤ 50 ms and ≤ 0.5x).** The time goes to the`,
        `  server's sends, not to the clients: \`publish()\` returns after ${ms(ours.publishMs)} (webpack-hot-middleware ${ms(peer?.publishMs)}), but \`node:http\` only`,
        `  queues the writes on corked sockets; they reach the kernel in the ticks after it, and the last one does so`,
        `  ${ms(ours.flushMs)} after the publish (webpack-hot-middleware ${ms(peer?.flushMs)}), and the slowest client has read it ${ms(ours.max - ours.flushMs)} later. The server spends ${ms(ours.publishCpuMs)} of CPU on the`,
        `  event (${perStream(ours)} µs per stream; webpack-hot-middleware ${perStream(peer)} µs). A \`perf\` profile of the server puts about 70 % of that`,
        '  in the `writev()` system call: TCP send, and on loopback also the receiving socket\'s TCP processing and the wake-up',
        '  of the reading process, which run inside the sender\'s call. One `writev()` per stream and event is the least any',
        '  server built on `node:http` can do, and webpack-hot-middleware makes the same calls, so the ratio of the two is',
        '  bounded by their JavaScript share, which is the smaller part. **What would fix it:** sending from several cores',
        '  (worker threads or `node:cluster` processes with `SO_REUSEPORT`, each owning a share of the streams and publishing',
        '  to it) divides the time by the number of free cores, and this machine has 2, shared with the clients; with the',
        '  clients on another machine the receive half of each send leaves the server. Neither is a change to the send path.',
        '',
      )
    }
    if (ours && ((peer && ours.rssPerConnection / peer.rssPerConnection > 0.5) || ours.rssPerConnection > 6 * 1024)) {
      out.push(
        `- **RSS per connection at ${N} (${kib(ours.rssPerConnection)} vs ${kib(peer?.rssPerConnection ?? Number.NaN)} for webpack-hot-middleware; targets ≤ 6 KiB and ≤ 0.5x).**`,
        `  Of it, ${kib(ours.heapPerConnection)} is V8 heap (webpack-hot-middleware ${kib(peer?.heapPerConnection ?? Number.NaN)}); the rest is native memory and heap pages not yet full.`,
        '  A heap snapshot of 2,000 streams shows what a stream holds: `node:http`\'s `Socket`, `IncomingMessage`,',
        '  `ServerResponse`, their stream states, listeners and the parser\'s bindings, the same objects for both servers;',
        '  live-assets adds one `Set` entry and shares one `close` listener between all streams. The native part is the',
        '  libuv handle and Node\'s HTTP parser, which `node:http` keeps per connection for keep-alive. The stream\'s headers',
        '  are flushed on their own, which lets V8 flatten Node\'s header string (sent with the first chunk it stays ~25',
        '  joined pieces, ~0.5 KiB more per stream). **What would fix it:** a stream that leaves `node:http` once its',
        '  headers are out and keeps only the socket, as WebSocket servers do after `upgrade`: no `ServerResponse`,',
        '  `IncomingMessage` or parser per stream. It would lose what `ServerResponse` gives the stream today (HTTP/2 through',
        '  the compatibility API, compression middleware, `writableLength` for backpressure), so it is a redesign of',
        '  `packages/core/src/broadcaster.ts` and `handler.ts`, not a fix; below ~6 KiB is under what a `node:http` connection',
        '  costs on this Node version.',
        '',
      )
    }
    if (ours && ours.idleCpuPercent > 1) {
      const period = ours.heartbeatMs / 1000
      out.push(
        `- **Idle CPU at ${N} streams (${ours.idleCpuPercent.toFixed(2)} % of a core at a ${period} s heartbeat; webpack-hot-middleware ${peer ? peer.idleCpuPercent.toFixed(2) : '-'} % at its 10 s; target ≤ 1 %).**`,
        `  Between pings the server does nothing measurable; see "The heartbeat" above for what a ping costs and where it`,
        `  goes (the window had ${ours.idleMajorGcs ?? '-'} full collection(s), after a rest of ${ours.idleRestMs ? (ours.idleRestMs / 1000).toFixed(1) : '-'} s). Pings go to the`,
        '  sockets directly. **What would fix it:** a longer heartbeat only while no proxy sits in between.',
        '',
      )
    }
  }
  out.push('## Not measured, and why', '', '- **Rolldown watch** (`rolldown -c rolldown.config.mjs -w`): the same plugin path as Rollup (`writeBundle`, the same', '  standalone live server), and the issue names no Rolldown peer; adding it is one more `rollupWatch()` variant.', '- **esbuild\'s CSS-only live reload**: esbuild\'s documentation also shows a longer snippet that swaps changed', '  stylesheets from the `change` event\'s `updated` list; the issue asks for the documented `location.reload()` one.', '- **Fan-out over HTTP/2 or through a proxy**, and **browsers as fan-out clients**: the issue asks for raw loopback SSE', '  clients; Chromium limits a profile to a handful of connections per host anyway.', '- **Latency with a syntax error in between**, **many sheets per page**, **large sheets**: each edit here changes one', '  small sheet, the common case.')
  return out
}
