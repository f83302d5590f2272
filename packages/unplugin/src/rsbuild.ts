import { unplugin } from './core/plugin'

export default unplugin.rsbuild
