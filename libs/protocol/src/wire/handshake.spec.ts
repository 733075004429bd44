import { describe, expect, it } from '@jest/globals';
import {
  HandshakeErrorCode,
  HandshakeProblem,
  parseHello,
  parseReply,
  PROTOCOL_VERSION,
} from './handshake.js';

const hello = (over: Record<string, unknown> = {}) => ({
  type: 'hello',
  version: PROTOCOL_VERSION,
  token: 'jwt',
  tunnels: [
    {
      id: 'web',
      proto: 'http',
      name: 'my-app',
      basicAuth: [{ user: 'u', password: 'p' }],
      allowCidrs: ['10.0.0.0/8'],
    },
  ],
  ...over,
});

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as HandshakeProblem).code;
  }
  return 'no error';
};

describe('handshake messages', () => {
  it('accepts a valid hello', () => {
    expect(parseHello(hello()).tunnels[0]).toMatchObject({ id: 'web', proto: 'http', name: 'my-app' });
  });

  it('answers another protocol version with version_unsupported', () => {
    expect(code(() => parseHello(hello({ version: 99 })))).toBe(HandshakeErrorCode.VersionUnsupported);
  });

  it.each([
    ['unknown fields', hello({ extra: true })],
    ['no tunnels', hello({ tunnels: [] })],
    ['bad proto', hello({ tunnels: [{ id: 'a', proto: 'udp' }] })],
    ['bad name', hello({ tunnels: [{ id: 'a', proto: 'http', name: 'Not_A_Label' }] })],
    [
      'duplicate ids',
      hello({
        tunnels: [
          { id: 'a', proto: 'http' },
          { id: 'a', proto: 'tcp' },
        ],
      }),
    ],
    ['wrong types', hello({ token: 42 })],
    ['not an object', 'hello'],
    ['null', null],
  ])('refuses %s with bad_request', (_, value) => {
    expect(code(() => parseHello(value))).toBe(HandshakeErrorCode.BadRequest);
  });

  it('parses relay replies and refuses anything else', () => {
    expect(parseReply({ type: 'error', code: 'auth_failed', message: 'x' })).toMatchObject({
      code: 'auth_failed',
    });
    expect(parseReply({ type: 'welcome', tunnels: [] })).toMatchObject({ type: 'welcome' });
    expect(code(() => parseReply({ type: 'what' }))).toBe(HandshakeErrorCode.MalformedFrame);
  });
});
