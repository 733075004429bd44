export { default as TunnelStart } from './commands/tunnel/start.js';
export { toFailure, UsageError, type Failure } from './errors.js';
export { jsonLine, Reporter, type LogFormat } from './output.js';
export { tunnelSpecFromFlags, type TunnelFlags } from './tunnel-flags.js';
