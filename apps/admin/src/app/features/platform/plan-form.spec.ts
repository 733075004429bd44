import { describe, expect, it } from '@jest/globals';
import type { Schemas } from '@fdt/api-client';
import { changedFields, draftOf, parseDraft } from './plan-form';

const GIB = 1024 ** 3;
const pro: Schemas['PlanDto'] = {
  id: 'pro',
  name: 'Pro',
  sort: 10,
  active: true,
  limits: {
    maxTunnels: 25,
    maxConnsPerTunnel: 2000,
    maxReservedNames: 50,
    maxReservedTcpPorts: 25,
    maxDomains: 100,
    maxMembers: 25,
    bandwidthBytesPerMonth: 500 * GIB,
  },
  features: { sso: true, scim: false, inspectionRetentionHours: 72, regions: null },
  prices: { stripe: 'price_pro' },
};

const parsed = (d: ReturnType<typeof draftOf>) => {
  const v = parseDraft(d);
  if ('error' in v) throw new Error(v.error);
  return v;
};

describe('the plan form', () => {
  it('shows limits as typed text (null empty, bandwidth in GiB) and reads them back unchanged', () => {
    const d = { ...draftOf(pro), name: 'Pro' };
    expect(d.limits.bandwidthBytesPerMonth).toBe('500');
    expect(d.limits.maxMembers).toBe('25');
    expect(parsed(d)).toMatchObject({ limits: pro.limits, features: pro.features, sort: 10 });
    // Nothing changed: nothing to send (free's FDT_PLAN_* limits must never be sent).
    expect(changedFields(pro, d, parsed(d))).toEqual({});
  });

  it('sends only what changed, key by key', () => {
    const d = draftOf(pro);
    d.name = 'Pro';
    d.limits.maxMembers = '30';
    d.limits.bandwidthBytesPerMonth = '';
    d.scim = true;
    d.regions = 'eu, us';
    d.prices.razorpay = 'plan_x';
    d.active = false;
    expect(changedFields(pro, d, parsed(d))).toEqual({
      active: false,
      limits: { maxMembers: 30, bandwidthBytesPerMonth: null },
      features: { scim: true, regions: ['eu', 'us'] },
      prices: { razorpay: 'plan_x' },
    });
  });

  it('refuses negative, fractional and non-numeric limits, and a bad retention or order, naming the field', () => {
    const bad = (edit: (d: ReturnType<typeof draftOf>) => void) => {
      const d = draftOf(pro);
      edit(d);
      const v = parseDraft(d);
      return 'error' in v ? v.error : null;
    };
    expect(bad((d) => (d.limits.maxMembers = '-1'))).toMatch(/^Members: a whole number/);
    expect(bad((d) => (d.limits.maxTunnels = '2.5'))).toMatch(/^Tunnels per agent session:/);
    expect(bad((d) => (d.limits.maxDomains = 'many'))).toMatch(/^Custom domains:/);
    expect(bad((d) => (d.limits.bandwidthBytesPerMonth = '-1'))).toMatch(
      /^Bandwidth per month: a number of GiB/,
    );
    expect(bad((d) => (d.retention = 'x'))).toMatch(/^Inspection retention/);
    expect(bad((d) => (d.sort = '1.5'))).toMatch(/^Order/);
    // Fractions of a GiB are fine: stored as whole bytes.
    const d = draftOf(pro);
    d.limits.bandwidthBytesPerMonth = '0.5';
    expect(parsed(d).limits.bandwidthBytesPerMonth).toBe(GIB / 2);
  });

  it('starts a new plan from nothing as unlimited, active, 24 h of inspection', () => {
    const d = draftOf(null);
    expect(d).toMatchObject({ active: true, retention: '24', sort: '' });
    expect(Object.values(d.limits).every((v) => v === '')).toBe(true);
  });
});
