import type { ClientConfig } from '@live-assets/protocol'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { CLIENT_CONFIG_PLACEHOLDER } from '@live-assets/protocol'

let built: string | undefined

/** The built classic-script client, read once per process. */
function readBuiltClient(): string {
  built ??= readFileSync(createRequire(import.meta.url).resolve('@live-assets/client/classic'), 'utf8')
  return built
}

/**
 * The browser client with its config filled in. `<` is escaped so the JSON is also safe if someone
 * inlines the script in HTML.
 */
export function renderClient(config: ClientConfig): string {
  const json = JSON.stringify(config).replace(/</g, '\\u003c')
  const code = readBuiltClient()
  if (!code.includes(CLIENT_CONFIG_PLACEHOLDER))
    throw new Error(`[live-assets] the built client has no ${CLIENT_CONFIG_PLACEHOLDER} placeholder: rebuild @live-assets/client.`)
  return code.replace(CLIENT_CONFIG_PLACEHOLDER, () => json)
}
