import { describe, expect, it } from '@jest/globals';
import { isEdgeLimits, MAX_INSPECTION_RETENTION_HOURS, relayEdgeLimitsPath } from './edge-limits.js';

describe('edge limits', () => {
  it('accepts what the api answers, null meaning unlimited', () => {
    expect(isEdgeLimits({ maxTunnels: 10, maxConnsPerTunnel: 1000, bandwidthExceeded: false })).toBe(true);
    expect(isEdgeLimits({ maxTunnels: null, maxConnsPerTunnel: null, bandwidthExceeded: true })).toBe(true);
    const withRetention = { maxTunnels: 1, maxConnsPerTunnel: 1, bandwidthExceeded: false };
    for (const inspectionRetentionHours of [0, 1, 48, MAX_INSPECTION_RETENTION_HOURS])
      expect(isEdgeLimits({ ...withRetention, inspectionRetentionHours })).toBe(true);
  });

  it('refuses anything else (a relay keeps what it held)', () => {
    for (const bad of [
      undefined,
      null,
      'limits',
      {},
      { maxTunnels: 10, maxConnsPerTunnel: 1000 },
      { maxTunnels: -1, maxConnsPerTunnel: 1, bandwidthExceeded: false },
      { maxTunnels: 1.5, maxConnsPerTunnel: 1, bandwidthExceeded: false },
      { maxTunnels: '10', maxConnsPerTunnel: 1, bandwidthExceeded: false },
      { maxTunnels: 1, maxConnsPerTunnel: 1, bandwidthExceeded: 'no' },
      ...[-1, 1.5, '48', null, MAX_INSPECTION_RETENTION_HOURS + 1].map((inspectionRetentionHours) => ({
        maxTunnels: 1,
        maxConnsPerTunnel: 1,
        bandwidthExceeded: false,
        inspectionRetentionHours,
      })),
    ])
      expect(isEdgeLimits(bad)).toBe(false);
  });

  it('puts the org id into the path as one segment', () => {
    expect(relayEdgeLimitsPath('4f1c')).toBe('/api/v1/relays/orgs/4f1c/edge-limits');
    expect(relayEdgeLimitsPath('a/../b')).toBe('/api/v1/relays/orgs/a%2F..%2Fb/edge-limits');
  });
});
