/** `@live-assets/core/protocol`: the wire contract alone, for code that must not load the server's modules. */
export * from '@live-assets/protocol'
