export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_EXCHANGES,
  ExchangeRecorder,
  type CapturedBody,
  type Exchange,
  type ExchangeSummary,
  type ExchangeTap,
  type HeaderMap,
  type RecorderOptions,
} from './recorder.js';
export { DEFAULT_INSPECT_ADDR, InspectorServer, parseInspectAddr } from './server.js';
