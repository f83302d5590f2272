/** The classic build of the on-demand extras: `<base>/client-extras.js`, loaded by the client when a page needs it. */
import type { Extras } from './extras'
import * as extras from './extras'
import { EXTRAS } from './extras-script'

const slot = window as unknown as Record<typeof EXTRAS, Extras>
slot[EXTRAS] = extras
