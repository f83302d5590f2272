import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import process from 'node:process'
import { poll } from '../utils/poll'
import { freePort } from './stream'

export interface Nginx {
  /** e.g. `http://127.0.0.1:41234`. */
  url: string
  /** The error log so far, for failure messages. */
  log: () => Promise<string>
  close: () => Promise<void>
}

/** Debian's nginx, or NGINX_PATH. Missing nginx is a failure, not a skip: CI installs it (.ci/run). */
export function findNginx(): string {
  const candidates = [
    process.env.NGINX_PATH,
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map(dir => path.join(dir, 'nginx')),
    '/usr/sbin/nginx',
    '/usr/local/sbin/nginx',
    '/usr/local/nginx/sbin/nginx',
  ].filter((file): file is string => !!file)
  const found = candidates.find(file => existsSync(file))
  if (!found)
    throw new Error('[live-assets] nginx not found (NGINX_PATH, PATH, /usr/sbin): the reverse-proxy tests need a real nginx. Install it (Debian/Ubuntu: apt-get install -y nginx) or set NGINX_PATH.')
  return found
}

/**
 * Starts nginx in the foreground on a free loopback port with a config of our own in a temp dir: nothing under
 * /etc, /var or /run is read or written. `locations` is the inside of the `server {}` block, `http` more of the
 * `http {}` block around it (an `upstream`).
 */
export async function startNginx(locations: string, http = ''): Promise<Nginx> {
  const binary = findNginx()
  const dir = await mkdtemp(path.join(tmpdir(), 'live-assets-nginx-'))
  const errorLog = path.join(dir, 'error.log')
  for (let attempt = 0; ; attempt++) {
    const port = await freePort()
    const conf = path.join(dir, 'nginx.conf')
    await writeFile(conf, `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${errorLog} info;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${http}
  server {
    listen 127.0.0.1:${port};
    ${locations}
  }
}
`)
    const child: ChildProcess = spawn(binary, ['-p', `${dir}/`, '-c', conf, '-e', errorLog], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr += chunk)
    let exited = false
    const exit = new Promise<void>(resolve => child.once('exit', () => {
      exited = true
      resolve()
    }))
    const log = async (): Promise<string> => `${stderr}${existsSync(errorLog) ? await readFile(errorLog, 'utf8') : ''}`
    try {
      await poll(() => exited || accepts(port), { what: `nginx to listen on 127.0.0.1:${port}`, timeout: 15_000 })
    }
    catch (error) {
      child.kill('SIGKILL')
      throw error
    }
    if (!exited) {
      return {
        url: `http://127.0.0.1:${port}`,
        log,
        async close() {
          child.kill('SIGTERM')
          await exit
          await rm(dir, { recursive: true, force: true })
        },
      }
    }
    // Someone else took the port between our check and nginx's bind: try another one.
    const output = await log()
    if (!/Address already in use/.test(output) || attempt >= 3)
      throw new Error(`[live-assets] nginx (${binary}) exited at startup:\n${output}`)
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy()
      resolve(true)
    })
    socket.on('error', () => resolve(false))
  })
}
