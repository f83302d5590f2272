/**
 * What a page is told when the server refuses its event stream (part of the on-demand extras: the server that
 * refused the stream is up, and serves them).
 */

/**
 * Said once per page, after the second refusal in a row: the browser hides the refusal's reason from scripts of another
 * origin, and the server says it in its terminal.
 * @param url the events URL
 */
export function sayRefused(url: URL): void {
  const origin = location.origin
  console.warn(`[live-assets] ${url.origin} refuses the event stream of ${origin}, so this page gets no live updates. If the terminal running live-assets says it refused ${origin}, allow it: allowedOrigins: ['${origin}'] in the plugin, --origin ${origin} for the CLI.`)
}
