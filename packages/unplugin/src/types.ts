export type { Options, WatchOptions } from './core/options'
