/**
 * Live images and other assets: re-fetch what uses a changed file, in place, without a reload.
 * (Being written: see issue 8.)
 */

/**
 * @param files changed URLs, already filtered through `changedPath` (absolute, this page's or the server's origin)
 * @param token the fresh cache-busting token of this event
 * @returns the number of places that now use the new file
 */
export function reloadAssets(files: readonly string[], token: string): number {
  void files
  void token
  return 0
}
