export type { AfterSwapDetail, BeforeSwapDetail, LiveAssetsClient } from './client'
export { startClient } from './client'
export { SHEET_URL, trackSheet } from './sheets'
export type { ClientConfig, ErrorPayload, FallbackMode, HelloPayload, ReloadCSSPayload, RenamedFile } from '@live-assets/protocol'
