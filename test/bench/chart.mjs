// @ts-check
/** The latency chart: one row per system, every sample as a dot on a log scale, median and p95 marked. */

const WIDTH = 880
const LABEL = 300
const ROW = 34
const TOP = 40
const BOTTOM = 44
const PLOT = WIDTH - LABEL - 30

function escape(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** `results` as returned by measureLatency, in display order. */
export function latencyChart(results) {
  const all = results.flatMap(r => r.samples).filter(v => v > 0)
  const lo = Math.max(1, 10 ** Math.floor(Math.log10(Math.min(...all))))
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all)))
  const x = v => LABEL + (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * PLOT
  const height = TOP + results.length * ROW + BOTTOM
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${LABEL}" y="20" font-size="14" font-weight="600">Save → restyle latency in Chromium (ms, log scale)</text>`,
  ]
  const ticks = []
  for (let decade = lo; decade <= hi; decade *= 10) {
    for (const m of [1, 2, 5]) {
      if (decade * m <= hi)
        ticks.push(decade * m)
    }
  }
  for (const tick of ticks) {
    const tx = x(tick).toFixed(1)
    out.push(`<line x1="${tx}" x2="${tx}" y1="${TOP - 6}" y2="${height - BOTTOM + 4}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${tx}" y="${height - BOTTOM + 18}" text-anchor="middle" fill="#555">${tick}</text>`)
  }
  let group
  results.forEach((r, i) => {
    const y = TOP + i * ROW + ROW / 2
    if (r.group !== group && i > 0)
      out.push(`<line x1="8" x2="${WIDTH - 8}" y1="${TOP + i * ROW}" y2="${TOP + i * ROW}" stroke="#bbb" stroke-dasharray="3 3"/>`)
    group = r.group
    const color = r.ours ? '#1f6feb' : '#d4722b'
    out.push(`<text x="${LABEL - 10}" y="${y + 4}" text-anchor="end" fill="${r.ours ? '#111' : '#555'}">${escape(r.label)}</text>`)
    r.samples.forEach((v, j) => {
      const jitter = ((j * 7919) % 13 - 6) * 1.3
      out.push(`<circle cx="${x(v).toFixed(1)}" cy="${(y + jitter).toFixed(1)}" r="2.4" fill="${color}" fill-opacity="0.45"/>`)
    })
    if (r.count) {
      out.push(`<line x1="${x(r.median).toFixed(1)}" x2="${x(r.median).toFixed(1)}" y1="${y - 12}" y2="${y + 12}" stroke="#111" stroke-width="2.5"><title>median ${r.median.toFixed(1)} ms</title></line>`)
      out.push(`<line x1="${x(r.p95).toFixed(1)}" x2="${x(r.p95).toFixed(1)}" y1="${y - 8}" y2="${y + 8}" stroke="#111" stroke-width="1" stroke-dasharray="2 2"><title>p95 ${r.p95.toFixed(1)} ms</title></line>`)
    }
  })
  const ly = height - 10
  out.push(`<circle cx="${LABEL}" cy="${ly - 4}" r="4" fill="#1f6feb"/><text x="${LABEL + 8}" y="${ly}">live-assets</text>`)
  out.push(`<circle cx="${LABEL + 90}" cy="${ly - 4}" r="4" fill="#d4722b"/><text x="${LABEL + 98}" y="${ly}">bundler's own path</text>`)
  out.push(`<line x1="${LABEL + 230}" x2="${LABEL + 230}" y1="${ly - 10}" y2="${ly + 2}" stroke="#111" stroke-width="2.5"/><text x="${LABEL + 236}" y="${ly}">median</text>`)
  out.push(`<line x1="${LABEL + 295}" x2="${LABEL + 295}" y1="${ly - 10}" y2="${ly + 2}" stroke="#111" stroke-dasharray="2 2"/><text x="${LABEL + 301}" y="${ly}">p95</text>`)
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
