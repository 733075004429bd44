import { describe, expect, it } from '@jest/globals';
import { tunnelKey, tunnelSetDigest } from './relay-heartbeat.js';

describe('tunnel set digest', () => {
  const key = (name: string, proto = 'http') => tunnelKey({ orgId: 'org', name, proto });

  it('keys a tunnel as org/proto/name, the identity of its row at the api', () => {
    expect(key('web')).toBe('org/http/web');
    expect(key('21000', 'tcp')).toBe('org/tcp/21000');
  });

  it('depends on the set only: not on order or duplicates', () => {
    expect(tunnelSetDigest([key('a'), key('b')])).toBe(tunnelSetDigest([key('b'), key('a'), key('a')]));
    expect(tunnelSetDigest([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('differs when a tunnel is added, removed or changes protocol', () => {
    const base = tunnelSetDigest([key('a'), key('b')]);
    expect(tunnelSetDigest([key('a')])).not.toBe(base);
    expect(tunnelSetDigest([key('a'), key('b'), key('c')])).not.toBe(base);
    expect(tunnelSetDigest([key('a'), key('b', 'tls')])).not.toBe(base);
  });
});
