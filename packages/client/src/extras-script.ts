/**
 * How the classic script gets the on-demand extras: a `<script>` from the server that served the client, carrying
 * the client's own CSP nonce. The extras script leaves its exports on the window under {@link EXTRAS}.
 */
import type { Extras } from './extras'

/** A global symbol, like the client's own key: the extras of one window are found whichever copy loaded them. */
export const EXTRAS: unique symbol = Symbol.for('live-assets.extras')

type Slot = Record<symbol, Extras | undefined>

export function loadExtrasScript(url: URL, nonce: string): Promise<Extras> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script')
    script.src = url.href
    script.nonce = nonce
    script.onload = script.onerror = () => {
      script.remove()
      const extras = (window as unknown as Slot)[EXTRAS]
      if (extras)
        return resolve(extras)
      reject(new Error(`[live-assets] could not load ${url.href}: is the server up, and does the page's CSP allow it?`))
    }
    ;(document.head || document.documentElement).appendChild(script)
  })
}
