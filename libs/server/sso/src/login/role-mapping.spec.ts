import { describe, expect, it } from '@jest/globals';
import { roleFromGroups } from './role-mapping.js';

describe('roleFromGroups', () => {
  const rules = [
    { group: 'fdt-admins', role: 'admin' as const },
    { group: 'engineering', role: 'member' as const },
    { group: 'auditors', role: 'viewer' as const },
  ];

  it('gives the role of the first rule whose group the user has', () => {
    expect(roleFromGroups(rules, ['auditors', 'engineering'])).toBe('member');
    expect(roleFromGroups(rules, ['engineering', 'fdt-admins'])).toBe('admin');
    expect(roleFromGroups(rules, ['auditors'])).toBe('viewer');
  });

  it('matches group names exactly, and gives nothing without a match', () => {
    expect(roleFromGroups(rules, ['FDT-ADMINS', 'fdt-admins '])).toBeUndefined();
    expect(roleFromGroups(rules, [])).toBeUndefined();
    expect(roleFromGroups([], ['fdt-admins'])).toBeUndefined();
  });
});
