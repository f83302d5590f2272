export type { Options, WatchOptions } from './core/shared/options'
