import type { TestProject } from 'vitest/node'
import { existsSync } from 'node:fs'
import process from 'node:process'
import { chromium } from 'playwright-core'

/** Chromium is found through `CHROME_PATH`, else Debian's `/usr/bin/chromium`. */
export const chromePath = process.env.CHROME_PATH || '/usr/bin/chromium'

export const chromeArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Pages on a non-loopback origin (http://app.test:<port>), served on 127.0.0.1: what the loopback default refuses.
  '--host-resolver-rules=MAP *.test 127.0.0.1',
]

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(chromePath))
    throw new Error(`[live-assets] Chromium not found at ${chromePath}: install it (apt-get install -y chromium) or set CHROME_PATH.`)
  const server = await chromium.launchServer({ executablePath: chromePath, args: chromeArgs })
  project.provide('wsEndpoint', server.wsEndpoint())
  return () => server.close()
}

declare module 'vitest' {
  export interface ProvidedContext {
    wsEndpoint: string
  }
}
