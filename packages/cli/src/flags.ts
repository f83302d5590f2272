/**
 * Every flag of the `live-assets` command, in the order `--help` shows them. The parser and the help text both
 * read this table, so a flag cannot exist without being documented.
 */
export interface Flag {
  name: string
  short?: string
  /** `string` flags take a value, written `--name value` or `--name=value`. */
  type: 'string' | 'boolean'
  multiple?: boolean
  /** Placeholder in the help text, e.g. `<glob>`. */
  value?: string
  /** A boolean that defaults to true is shown as `--no-<name>`. */
  negatable?: boolean
  /** An old name still read, with a warning that names the new one, until the next major release. */
  deprecatedName?: string
  group: 'Files' | 'Server' | 'Browser' | 'Other'
  description: string
}

export const FLAGS: Flag[] = [
  {
    name: 'watch',
    short: 'w',
    type: 'string',
    multiple: true,
    value: '<glob>',
    group: 'Files',
    description: 'Stylesheets and images to watch: a glob, directory or file; repeatable. Quote globs so the shell does not expand them.',
  },
  {
    name: 'root',
    type: 'string',
    value: '<dir>',
    group: 'Files',
    description: 'Directory whose files the page requests under --url-base. Default: the static part of the first --watch glob (app/assets for "app/assets/**/*.css").',
  },
  {
    name: 'url-base',
    deprecatedName: 'base',
    type: 'string',
    value: '<url-path>',
    group: 'Files',
    description: 'URL path under which the page requests the files of --root, e.g. /assets. Default: / (--base, its old name, still works in this release, with a warning.)',
  },
  {
    name: 'reload',
    type: 'string',
    multiple: true,
    value: '<glob>',
    group: 'Files',
    description: 'Files whose change reloads the whole page, e.g. templates; repeatable. Stylesheets, images and source maps never do.',
  },
  {
    name: 'poll',
    type: 'boolean',
    negatable: true,
    group: 'Files',
    description: 'Poll the files instead of using native events. Default: polling where native events do not come through (WSL and container shares: 9p, drvfs, virtiofs, grpcfuse; NFS, SMB), native events elsewhere.',
  },
  {
    name: 'debounce',
    type: 'string',
    value: '<ms>',
    group: 'Files',
    description: 'Collect changes until none arrived for this long, then send one event. Default: 20',
  },
  {
    name: 'origin',
    type: 'string',
    multiple: true,
    value: '<origin>',
    group: 'Server',
    description: 'Origin of your pages when it is not a loopback one, e.g. http://myapp.test or http://192.168.1.20:3000; repeatable. Pages on localhost, *.localhost, 127.0.0.1 and [::1] (any port) may open the stream without it.',
  },
  {
    name: 'loopback-origins',
    type: 'boolean',
    negatable: true,
    group: 'Server',
    description: 'With --no-loopback-origins, only the pages of --origin may open the stream, not every local port (localhost, 127.0.0.1 and [::1] on the same port still count as one).',
  },
  {
    name: 'port',
    short: 'p',
    type: 'string',
    value: '<port>',
    group: 'Server',
    description: 'Port to listen on; 0 picks a free one. Default: 35729',
  },
  {
    name: 'host',
    type: 'string',
    value: '<host>',
    group: 'Server',
    description: 'Interface to listen on. 0.0.0.0 lets other machines connect (add their host name with --allowed-host). Default: 127.0.0.1',
  },
  {
    name: 'allowed-host',
    type: 'string',
    multiple: true,
    value: '<name>',
    group: 'Server',
    description: 'Extra Host header to answer besides localhost and loopback addresses, e.g. myapp.test or .myapp.test for subdomains; repeatable.',
  },
  {
    name: 'strict-port',
    type: 'boolean',
    negatable: true,
    group: 'Server',
    description: 'With --no-strict-port, a taken port moves to the next free one instead of failing. Default: strict',
  },
  {
    name: 'heartbeat',
    type: 'string',
    value: '<ms>',
    group: 'Server',
    description: 'Time between two pings; pages reconnect after 2.5 silent heartbeats. Default: 45000',
  },
  {
    name: 'token',
    type: 'string',
    value: '<token>',
    group: 'Server',
    description: 'Bearer token for POST /__live_assets/publish, so other tools can send events. Default: random, printed at start',
  },
  {
    name: 'redis',
    type: 'string',
    value: '<url>',
    group: 'Server',
    description: 'Share one event stream with every live-assets started with the same Redis (redis://127.0.0.1:6379): pages on any of them get every event, and may move between them. Fails at start when Redis cannot be reached',
  },
  {
    name: 'fallback',
    type: 'string',
    value: '<mode>',
    group: 'Browser',
    description: 'When a changed stylesheet matches no <link> on the page: stylesheets (reload them all), page (reload the page) or none. Default: stylesheets',
  },
  {
    name: 'overlay',
    type: 'boolean',
    negatable: true,
    group: 'Browser',
    description: 'With --no-overlay, errors are logged in the browser console instead of shown over the page.',
  },
  {
    name: 'debug',
    type: 'boolean',
    group: 'Browser',
    description: 'Log every event and stylesheet match in the browser console, and more here.',
  },
  {
    name: 'help',
    short: 'h',
    type: 'boolean',
    group: 'Other',
    description: 'Show this help and exit.',
  },
  {
    name: 'version',
    short: 'v',
    type: 'boolean',
    group: 'Other',
    description: 'Print the version and exit.',
  },
]
