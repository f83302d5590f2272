// @ts-check
/**
 * One process of raw SSE clients for the fan-out benchmark: opens `count` streams to `url` on loopback and records,
 * for each round, the time each stream received the event naming `round-<n>` (performance.timeOrigin +
 * performance.now(), the same wall-clock-anchored clock the server process uses for the publish time).
 *
 * Each client is a bare TCP socket: it writes the GET request by hand and scans the bytes it receives for
 * `round-<digits>`, without an HTTP parser or a stream per response. What it reads is still the server's whole HTTP/1.1
 * response (status line, headers, chunk framing, every event): only the work of taking it apart is skipped, so that
 * 10,000 streams can be read by two processes on a two-core machine without the readers becoming the measurement.
 */
import { Buffer } from 'node:buffer'
import { connect as connectTcp } from 'node:net'
import process from 'node:process'

const [url, countArg] = process.argv.slice(2)
const count = Number(countArg)
const now = () => performance.timeOrigin + performance.now()
const { hostname, port, pathname, search } = new URL(url)
const REQUEST = Buffer.from(`GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`, 'latin1')
const MARK = Buffer.from('round-', 'latin1')
const LF = 0x0A
const DIGIT_0 = 0x30
const DIGIT_9 = 0x39
/** One read buffer for every socket of the process (net's `onread`): a read allocates nothing. */
const READ = Buffer.allocUnsafe(64 * 1024)

/** receipts[round][client] = time, or 0 if not (yet) received. */
const receipts = []
const sockets = []
let open = 0
let failed = 0
let ended = 0

/** Records every `round-<n>` in bytes that end at a line end, i.e. hold only whole lines. */
function scan(bytes, index, t) {
  for (let at = bytes.indexOf(MARK); at !== -1; at = bytes.indexOf(MARK, at + MARK.length)) {
    let round = 0
    for (let i = at + MARK.length; i < bytes.length && bytes[i] >= DIGIT_0 && bytes[i] <= DIGIT_9; i++)
      round = round * 10 + bytes[i] - DIGIT_0
    if (!round)
      continue
    receipts[round] ??= new Float64Array(count)
    if (!receipts[round][index])
      receipts[round][index] = t
  }
}

function connect(index) {
  return new Promise((resolve) => {
    let status = false
    /** Bytes of an unfinished line, kept until its line end arrives (rare: each event is one write on loopback). */
    let partial
    const socket = connectTcp({
      host: hostname,
      port: Number(port),
      onread: {
        buffer: READ,
        callback(length, buffer) {
          const t = now()
          let bytes = buffer.subarray(0, length)
          if (!status) {
            status = true
            // `HTTP/1.1 200 `: the stream is open once its headers arrive.
            if (bytes.latin1Slice(9, 12) !== '200') {
              failed++
              socket.destroy()
              resolve(undefined)
              return false
            }
            open++
            resolve(undefined)
          }
          if (partial)
            bytes = Buffer.concat([partial, bytes])
          if (bytes[bytes.length - 1] !== LF) {
            partial = Buffer.from(bytes)
            return true
          }
          partial = undefined
          scan(bytes, index, t)
          return true
        },
      },
    })
    socket.setNoDelay(true)
    socket.on('connect', () => socket.write(REQUEST))
    socket.on('end', () => void ended++)
    socket.on('error', () => {
      if (!status) {
        status = true
        failed++
        resolve(undefined)
      }
    })
    sockets.push(socket)
  })
}

async function connectAll() {
  // In batches, so the server's accept backlog never overflows.
  for (let i = 0; i < count; i += 100)
    await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => connect(i + j)))
  process.send?.({ ready: true, open, failed })
}
void connectAll()

process.on('message', (/** @type {any} */ message) => {
  if (message.cmd === 'received') {
    const times = receipts[message.round] ?? new Float64Array(count)
    let received = 0
    for (const t of times) {
      if (t)
        received++
    }
    process.send?.({ id: message.id, received })
  }
  else if (message.cmd === 'receipts') {
    process.send?.({ id: message.id, receipts: receipts.map(r => (r ? Array.from(r) : null)), count, open, failed, ended })
  }
  else if (message.cmd === 'close') {
    for (const socket of sockets)
      socket.destroy()
    process.exit(0)
  }
})
