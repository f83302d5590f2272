import type { ClientConfig } from '@live-assets/protocol'
import type { LiveAssetsClient } from './client'
import { startClient as start } from './client'

export type { AfterSwapDetail, BeforeSwapDetail, LiveAssetsClient } from './client'
export { SHEET_URL, trackSheet } from './sheets'
export type { ClientConfig, ErrorPayload, FallbackMode, HelloPayload, ReloadCSSPayload, RenamedFile } from '@live-assets/protocol'

/**
 * Connects to the live-assets server and keeps the page's stylesheets in sync. Safe to call again:
 * a window only ever has one client, one connection and one set of listeners. In a frame whose
 * same-origin parent (or grandparent...) already runs a client for the same server, it uses that
 * client's connection instead of opening its own. The parts few pages need (the error overlay, images, shadow roots
 * and frames) are a chunk of their own, imported the first time the page needs it.
 * @param config what the server filled in
 * @param scriptUrl the URL this script was loaded from; `base` is resolved against it when `config.origin` is not set
 */
export function startClient(config: ClientConfig, scriptUrl?: string): LiveAssetsClient {
  return start(config, scriptUrl, () => import('./extras'))
}
