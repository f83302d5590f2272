// @ts-check
/**
 * One process of raw SSE clients for the fan-out benchmark: opens `count` streams to `url` on loopback and records,
 * for each round, the time each stream received the event naming `round-<n>` (performance.timeOrigin +
 * performance.now(), the same wall-clock-anchored clock the server process uses for the publish time).
 */
import { Agent, request } from 'node:http'
import process from 'node:process'

const [url, countArg] = process.argv.slice(2)
const count = Number(countArg)
const now = () => performance.timeOrigin + performance.now()
const agent = new Agent({ keepAlive: false, maxSockets: Infinity })

/** receipts[round][client] = time, or 0 if not (yet) received. */
const receipts = []
const streams = []
let open = 0
let failed = 0
let ended = 0

function connect(index) {
  return new Promise((resolve) => {
    let buffer = ''
    const req = request(url, { agent, headers: { Accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        failed++
        res.resume()
        return resolve(undefined)
      }
      res.setEncoding('utf8')
      let first = true
      res.on('data', (chunk) => {
        const t = now()
        if (first) {
          first = false
          open++
          resolve(undefined)
        }
        buffer += chunk
        let end = buffer.indexOf('\n\n')
        while (end !== -1) {
          const match = /round-(\d+)/.exec(buffer.slice(0, end))
          if (match) {
            const round = Number(match[1])
            receipts[round] ??= new Float64Array(count)
            if (!receipts[round][index])
              receipts[round][index] = t
          }
          buffer = buffer.slice(end + 2)
          end = buffer.indexOf('\n\n')
        }
      })
      res.on('end', () => void ended++)
    })
    req.on('error', () => {
      failed++
      resolve(undefined)
    })
    req.end()
    streams.push(req)
  })
}

async function connectAll() {
  // In batches, so the server's accept backlog never overflows.
  for (let i = 0; i < count; i += 100)
    await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => connect(i + j)))
  process.send({ ready: true, open, failed })
}
void connectAll()

process.on('message', (message) => {
  if (message.cmd === 'received') {
    const times = receipts[message.round] ?? new Float64Array(count)
    let received = 0
    for (const t of times) {
      if (t)
        received++
    }
    process.send({ id: message.id, received })
  }
  else if (message.cmd === 'receipts') {
    process.send({ id: message.id, receipts: receipts.map(r => (r ? Array.from(r) : null)), count, open, failed, ended })
  }
  else if (message.cmd === 'close') {
    for (const req of streams)
      req.destroy()
    process.exit(0)
  }
})
