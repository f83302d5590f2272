import type { Flag } from './flags'
import { usageOf } from './args'
import { FLAGS } from './flags'

const WIDTH = 80
const GROUPS: Flag['group'][] = ['Files', 'Server', 'Browser', 'Other']

/** The `--help` text: every flag of {@link FLAGS}, grouped, wrapped to 80 columns. */
export function formatHelp(version: string): string {
  const labels = new Map(FLAGS.map(flag => [flag, `${flag.short ? `-${flag.short}, ` : '    '}${usageOf(flag)}`]))
  const column = Math.max(...[...labels.values()].map(label => label.length)) + 4
  const lines = [
    `live-assets ${version}: CSS live reload for Rails, Django, Laravel, Express and`,
    'static sites.',
    '',
    'Usage',
    '  live-assets --watch <glob> [--url-base <url-path>] [flags]',
    '',
    'Example',
    '  live-assets --watch "app/assets/**/*.css" --url-base /assets',
    '',
    'Nothing happens on save? Check the setup the way a page uses it:',
    '  live-assets doctor http://localhost:3000/ \\',
    '              --watch "app/assets/**/*.css" --url-base /assets',
    '',
    'It serves the browser client and an event stream on its own port, watches',
    'the files, and prints the <script> tag to paste into your layout (in',
    'development only). Edited stylesheets are swapped in place, without a reload.',
  ]
  for (const group of GROUPS) {
    lines.push('', group)
    for (const flag of FLAGS.filter(f => f.group === group)) {
      const label = `  ${labels.get(flag)}`.padEnd(column)
      wrap(flag.description, WIDTH - column).forEach((text, i) => lines.push(`${i === 0 ? label : ' '.repeat(column)}${text}`))
    }
  }
  lines.push('', 'Setups for Rails, Django, Laravel and Express, and troubleshooting:', 'see the README of @live-assets/cli.', '')
  return lines.join('\n')
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    }
    else {
      line = line ? `${line} ${word}` : word
    }
  }
  lines.push(line)
  return lines
}
