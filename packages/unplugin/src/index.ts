export { unplugin, unpluginFactory } from './core/plugin'
export type { Options, WatchOptions } from './types'
