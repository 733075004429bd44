import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';

// The rule checks run promtool (.ci/run installs Debian's prometheus when missing).
describe('monitoring checks', () => {
  it('have promtool on PATH', () => {
    expect(execFileSync('promtool', ['--version'], { encoding: 'utf8' })).toMatch(/promtool, version/);
  });
});
