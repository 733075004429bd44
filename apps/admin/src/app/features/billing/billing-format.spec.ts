import { describe, expect, it } from '@jest/globals';
import { details, limitText, money, usageLevel, usageRows, usedShare } from './billing-format';

describe('billing formatting', () => {
  it('shows null limits as unlimited and bytes in binary units', () => {
    expect(limitText(null)).toBe('unlimited');
    expect(limitText(null, 'bytes')).toBe('unlimited');
    expect(limitText(2000)).toBe('2,000');
    expect(limitText(500 * 1024 ** 3, 'bytes')).toBe('500 GiB');
  });

  it('says how much of a limit is used, capped at the limit, none when unlimited or not counted', () => {
    expect(usedShare(5, 20)).toBe(0.25);
    expect(usedShare(30, 20)).toBe(1);
    expect(usedShare(5, null)).toBeNull();
    expect(usedShare(null, 20)).toBeNull();
    expect(usedShare(0, 0)).toBe(0);
    expect(usedShare(1, 0)).toBe(1);
    expect([usageLevel(1, 10), usageLevel(8, 10), usageLevel(10, 10), usageLevel(3, null)]).toEqual([
      'ok',
      'warn',
      'danger',
      '',
    ]);
  });

  it('lists every limit with its count (tunnels and connections are per session and tunnel: not counted)', () => {
    const rows = usageRows(
      {
        maxTunnels: 10,
        maxConnsPerTunnel: 1000,
        maxReservedNames: 20,
        maxReservedTcpPorts: 10,
        maxDomains: 100,
        maxMembers: null,
        bandwidthBytesPerMonth: null,
      },
      { reservedNames: 2, reservedTcpPorts: 1, domains: 0, members: 3 },
      4096,
    );
    expect(rows.map((r) => [r.key, r.limit, r.used])).toEqual([
      ['maxTunnels', 10, null],
      ['maxConnsPerTunnel', 1000, null],
      ['maxReservedNames', 20, 2],
      ['maxReservedTcpPorts', 10, 1],
      ['maxDomains', 100, 0],
      ['maxMembers', null, 3],
      ['bandwidthBytesPerMonth', null, 4096],
    ]);
    expect(rows.at(-1)?.unit).toBe('bytes');
  });

  it('formats minor units by the currency’s own decimals, and leaves unknown codes unscaled', () => {
    expect(money(2000, 'usd')).toBe('$20.00');
    expect(money(500, 'JPY')).toBe('¥500');
    expect(money(null, 'usd')).toBe('—');
    expect(money(100, null)).toBe('—');
    expect(money(100, 'not a code')).toBe('100 NOT A CODE (minor units)');
  });

  it('writes ledger details as key: value pairs', () => {
    expect(details({ from: 'free', to: 'pro', by: { n: 1 } })).toBe('from: free · to: pro · by: {"n":1}');
    expect(details({})).toBe('');
  });
});
