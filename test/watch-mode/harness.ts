export { paintedAt, sampleColors, unstyledFrames as unstyled } from '../utils/colors'

const LIVE_URL = /live server at (http:\/\/[\d.:[\]a-z]+)/

/** The live server's URL from its log line. */
export function liveUrlOf(output: string): string {
  const match = LIVE_URL.exec(output)
  if (!match)
    throw new Error(`no "live server at" line in:\n${output}`)
  return match[1]
}
