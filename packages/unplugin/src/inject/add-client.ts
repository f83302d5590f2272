/**
 * What every injection of the bundler plugins does in the page: adds the live-assets client's `<script>` once. A page
 * that loads the client itself keeps its own tag (the client also guards against running twice). Under a nonce-based
 * CSP, the bundle's own `<script nonce>` vouches for the tag it adds.
 */
export function addClient(src: string): void {
  // A bundle may also run in a worker, or in Node for server-side rendering.
  if (typeof document === 'undefined' || [...document.scripts].some(script => script.src === src))
    return
  const script = document.createElement('script')
  script.src = src
  script.nonce = (document.currentScript as HTMLScriptElement | null)?.nonce ?? ''
  ;(document.head || document.documentElement).appendChild(script)
}
