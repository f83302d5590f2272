import { unplugin } from './core/plugin'

export default unplugin.vite
