import { describe, expect, it } from '@jest/globals';
import { isDependencyUnavailable, toProblem } from './problem.filter.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('problem+json for an unreachable database', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED')],
    [
      'a server shutting down (57P01)',
      withCode('57P01', 'terminating connection due to administrator command'),
    ],
    [
      'a server starting up (57P03), inside a TypeORM error',
      Object.assign(new Error('q'), { driverError: withCode('57P03') }),
    ],
    ['a connection exception (08006)', withCode('08006')],
    ['a connection that died', new Error('Connection terminated unexpectedly')],
    ['no connection from the pool in time', new Error('timeout exceeded when trying to connect')],
  ])('answers 503 service_unavailable with Retry-After on %s', (_, err) => {
    expect(isDependencyUnavailable(err)).toBe(true);
    const { problem, headers } = toProblem(err, '/api/v1/domains');
    expect(problem).toMatchObject({ status: 503, code: 'service_unavailable', instance: '/api/v1/domains' });
    expect(headers).toEqual({ 'Retry-After': '5' });
  });

  it.each([
    ['a plain bug', new Error('undefined is not a function')],
    ['a constraint violation (23505)', withCode('23505', 'duplicate key value')],
    ['not an error', 'boom'],
    ['null', null],
  ])('keeps 500 internal_error for %s', (_, err) => {
    expect(isDependencyUnavailable(err)).toBe(false);
    expect(toProblem(err).problem).toMatchObject({ status: 500, code: 'internal_error' });
  });
});
