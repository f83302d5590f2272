/**
 * Constructed stylesheets (part of the on-demand extras): a sheet made in script has no element to clone, so its new
 * text is fetched and `replaceSync`ed into the same object.
 */
import type { Ready, SwapFailure } from './swap'
import { trackSheet } from './sheets'
import { LOAD_TIMEOUT_MS } from './swap'
import { bustUrl } from './url'

/**
 * Fetches the new text of `sheet` now, and `replaceSync`s it in the switch pass, so the same object (and every
 * document and shadow root that adopted it) changes with the clones of the same event. The sheet keeps its base URL,
 * so relative `url()`s resolve as before.
 */
export async function fetchSheet(sheet: CSSStyleSheet, url: string, token: string, failed: SwapFailure[]): Promise<Ready | SwapFailure> {
  let status = ''
  try {
    const res = await fetch(bustUrl(url, token), { signal: AbortSignal.timeout(LOAD_TIMEOUT_MS) })
    const text = await res.text()
    if (res.ok) {
      return {
        drop() {},
        apply() {
          try {
            sheet.replaceSync(text)
            trackSheet(sheet, url)
            return [url]
          }
          catch (error) {
            failed.push({ url, message: `could not update the constructed sheet of ${url} (${error}): keeping the previous styles.` })
            return []
          }
        },
      }
    }
    status = ` (HTTP ${res.status})`
  }
  catch {}
  return { url, message: `could not load ${url}${status}: keeping the previous styles.${status ? '' : ' Is the server up (and, on another origin, does it send CORS headers)?'}` }
}
