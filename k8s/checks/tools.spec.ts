import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';

// The manifest checks render k8s/ with kubectl's kustomize (.ci/run installs kubectl when missing).
describe('k8s checks', () => {
  it('have kubectl with kustomize on PATH', () => {
    expect(execFileSync('kubectl', ['kustomize', '--help'], { encoding: 'utf8' })).toMatch(/kustomiz/i);
  });
});
