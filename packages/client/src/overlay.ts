/**
 * The build-error overlay: a custom element with a shadow root, so page styles cannot reach in and
 * ours cannot leak out. Every text goes through `textContent`: a compiler message is never markup.
 */
import type { ErrorPayload } from '@live-assets/protocol'

const TAG = 'live-assets-overlay'

const CSS = `:host{position:fixed;inset:0;z-index:2147483647;display:flex;align-items:flex-start;justify-content:center;padding:10vh 16px;background:#0008;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace}
div{position:relative;max-width:960px;width:100%;max-height:80vh;overflow:auto;box-sizing:border-box;padding:20px 24px;background:#181818;color:#eee;border-top:6px solid #e5484d;border-radius:6px;box-shadow:0 8px 32px #000a}
h2{margin:0 0 8px;font-size:14px;color:#ff8589}p{margin:0 0 12px;color:#9cdcfe}pre{margin:0;white-space:pre-wrap;word-break:break-word}
button{position:absolute;top:8px;right:10px;border:0;background:none;color:#aaa;font-size:22px;line-height:1;cursor:pointer}button:hover{color:#fff}`

function el<K extends keyof HTMLElementTagNameMap>(parent: Node, tag: K, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (text)
    node.textContent = text
  parent.appendChild(node)
  return node
}

/** Where the error is, as `file:line:column`. */
export function errorLocation({ file, line, column }: ErrorPayload): string {
  return file ? [file, line, line && column].filter(Boolean).join(':') : ''
}

/**
 * Shows `error` over the page, replacing an overlay already shown.
 * @param error what failed
 * @param nonce the page's CSP nonce, for our `<style>`
 */
export function showOverlay(error: ErrorPayload, nonce?: string): void {
  hideOverlay()
  if (!customElements.get(TAG))
    customElements.define(TAG, class extends HTMLElement {})
  const host = document.createElement(TAG)
  const root = host.attachShadow({ mode: 'open' })
  el(root, 'style', CSS).nonce = nonce ?? ''
  const box = el(root, 'div')
  box.setAttribute('role', 'alert')
  el(box, 'h2', `[live-assets] ${error.source ? `${error.source}: ` : ''}build failed`)
  const where = errorLocation(error)
  if (where)
    el(box, 'p', where)
  el(box, 'pre', String(error.message ?? ''))
  const close = el(box, 'button', '×')
  close.title = 'Dismiss (Esc)'
  close.setAttribute('aria-label', 'Dismiss')
  close.addEventListener('click', hideOverlay)
  document.documentElement.appendChild(host)
  addEventListener('keydown', onKey)
}

export function hideOverlay(): void {
  removeEventListener('keydown', onKey)
  document.querySelectorAll(TAG).forEach(node => node.remove())
}

function onKey(event: KeyboardEvent): void {
  if (event.key === 'Escape')
    hideOverlay()
}
