export { ANSI, LiveView, liveViewSupported, type LiveViewOptions, type Terminal } from './driver.js';
export { MIN_WIDTH, renderStatus, truncate, type RenderOptions } from './render.js';
export {
  MAX_REQUESTS,
  applyEvent,
  initialStatus,
  type ForwardingLine,
  type RequestLine,
  type SessionStatus,
  type StatusState,
} from './state.js';
