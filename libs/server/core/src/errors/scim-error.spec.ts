import { describe, expect, it } from '@jest/globals';
import { DomainException } from './domain.exception.js';
import { isScimPath, toScimError } from './scim-error.js';

describe('toScimError', () => {
  it('renders a DomainException with its scimType and the status as a string', () => {
    const err = new DomainException('scim_uniqueness', 409, 'taken', { scimType: 'uniqueness' });
    expect(toScimError(err)).toEqual({
      status: 409,
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '409',
        scimType: 'uniqueness',
        detail: 'taken',
      },
      headers: {},
    });
  });

  it('maps body-parser errors: malformed JSON is invalidSyntax, oversize is 413', () => {
    expect(toScimError({ type: 'entity.parse.failed', status: 400 }).body).toMatchObject({
      status: '400',
      scimType: 'invalidSyntax',
    });
    expect(toScimError({ type: 'entity.too.large', status: 413 }).body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '413',
      detail: expect.any(String),
    });
  });

  it('keeps headers (Retry-After of a rate limit) and hides the detail of a crash', () => {
    const limited = new DomainException('rate_limited', 429, 'slow down', {}, { 'Retry-After': '5' });
    expect(toScimError(limited)).toMatchObject({ status: 429, headers: { 'Retry-After': '5' } });
    const crash = toScimError(new Error('secret internals'));
    expect(crash.status).toBe(500);
    expect(crash.body.detail).not.toContain('secret');
  });
});

describe('isScimPath', () => {
  it('matches the SCIM service and nothing else', () => {
    expect(['/scim/v2/Users', '/scim/v2', '/SCIM/v2/Groups?x=1', '/scim'].map(isScimPath)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['/api/v1/scim/tokens', '/scimx', '/', undefined].map(isScimPath)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
