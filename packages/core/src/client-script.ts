import type { ClientConfig } from '@live-assets/protocol'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { CLIENT_CONFIG_PLACEHOLDER } from '@live-assets/protocol'

const built = new Map<string, string>()

/**
 * A built classic script of `@live-assets/client`, read once per process: the client (`classic`), the same with its
 * debug lines (`classic-debug`), or the extras.
 */
function readBuilt(name: 'classic' | 'classic-debug' | 'extras'): string {
  let code = built.get(name)
  if (code === undefined)
    built.set(name, code = readFileSync(createRequire(import.meta.url).resolve(`@live-assets/client/${name}`), 'utf8'))
  return code
}

/**
 * The browser client with its config filled in. `<` is escaped so the JSON is also safe if someone
 * inlines the script in HTML. Only `debug: true` gets the build with the debug lines: every other page loads less.
 */
export function renderClient(config: ClientConfig): string {
  const json = JSON.stringify(config).replace(/</g, '\\u003c')
  const code = readBuilt(config.debug ? 'classic-debug' : 'classic')
  if (!code.includes(CLIENT_CONFIG_PLACEHOLDER))
    throw new Error(`[live-assets] the built client has no ${CLIENT_CONFIG_PLACEHOLDER} placeholder: rebuild @live-assets/client.`)
  return code.replace(CLIENT_CONFIG_PLACEHOLDER, () => json)
}

/** The parts of the client a page loads when it needs them (the error overlay, images, frames...): no config. */
export function renderClientExtras(): string {
  return readBuilt('extras')
}
