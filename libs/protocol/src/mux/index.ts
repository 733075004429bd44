export * from './frames.js';
export * from './header-block.js';
export * from './frame-reader.js';
export * from './mux-stream.js';
export * from './mux-session.js';
