import { describe, expect, it } from '@jest/globals';
import { AgentError, AuthError, RefusedError, InvalidOptionsError } from '@fdt/agent';
import { toFailure, UsageError } from './errors.js';

describe('CLI failures', () => {
  it('maps errors to the exit code contract with a next step', () => {
    expect(toFailure(new UsageError('--name: bad', '--name'))).toMatchObject({ exitCode: 2, bug: false });
    expect(toFailure(new InvalidOptionsError('bad'))).toMatchObject({ exitCode: 2, bug: false });
    const auth = toFailure(new AuthError('the api refused the authtoken'));
    expect(auth).toMatchObject({
      exitCode: 3,
      code: 'auth_failed',
      message: 'Authentication failed: the api refused the authtoken',
    });
    expect(auth.hint).toMatch(/Authtokens page.*fdt authtoken create.*fdt login --authtoken <token>/);
    expect(toFailure(new RefusedError('name_taken', 'taken', 'web'))).toMatchObject({
      exitCode: 4,
      hint: expect.stringMatching(/another --name/),
    });
    expect(toFailure(new RefusedError('plan_limit', 'too many'))).toMatchObject({
      exitCode: 4,
      hint: expect.stringMatching(/plan/),
    });
    expect(
      toFailure(new AgentError('api_unreachable', 'cannot reach'), { apiUrl: 'http://x:3000' }),
    ).toMatchObject({
      exitCode: 1,
      hint: expect.stringContaining('(now http://x:3000)'),
    });
  });

  it('tells a bug from a user error', () => {
    const f = toFailure(new TypeError('x is undefined'));
    expect(f).toMatchObject({ exitCode: 1, code: 'internal_error', bug: true });
    expect(f.hint).toMatch(/DEBUG=1/);
  });

  it('cleans up oclif parse errors and keeps them exit 2', () => {
    const parse = Object.assign(
      new Error(
        'Parsing --max-conns \n\tExpected an integer greater than or equal to 1 but received: 0\nSee more help with --help',
      ),
      { oclif: { exit: 2 } },
    );
    expect(toFailure(parse)).toMatchObject({
      exitCode: 2,
      message: '--max-conns: Expected an integer greater than or equal to 1 but received: 0',
    });
  });
});
