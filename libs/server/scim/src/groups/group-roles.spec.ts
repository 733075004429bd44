import { describe, expect, it } from '@jest/globals';
import { highestRole } from './group-roles.service.js';

describe('highestRole', () => {
  it('orders mapped roles admin > member > billing > viewer and ignores others', () => {
    expect(highestRole(['viewer', 'admin', 'member'])).toBe('admin');
    expect(highestRole(['viewer', 'billing'])).toBe('billing');
    expect(highestRole(['member', 'billing'])).toBe('member');
    expect(highestRole(['owner'])).toBeUndefined();
    expect(highestRole([])).toBeUndefined();
  });
});
