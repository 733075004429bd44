// Every project's Jest projects in one run (used by `npm test`); `nx run <project>:test`
// and `:int` use each project's own jest.config.mjs.
import { readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = import.meta.dirname;
const dirs = [];
const walk = (dir, depth) => {
  if (existsSync(join(dir, 'jest.config.mjs')) && dir !== root) return dirs.push(dir);
  if (depth === 0) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && !['node_modules', 'dist', '.git', '.nx', '.fdt', 'tmp'].includes(e.name)) {
      walk(join(dir, e.name), depth - 1);
    }
  }
};
for (const top of ['apps', 'libs', 'e2e', 'k8s', 'monitoring']) if (existsSync(join(root, top))) walk(join(root, top), 3);

const projects = [];
for (const dir of dirs.sort()) {
  const { default: cfg } = await import(join(dir, 'jest.config.mjs'));
  const name = relative(root, dir);
  for (const p of cfg.projects ?? [cfg]) projects.push({ ...p, displayName: `${p.displayName}:${name}` });
}

// testTimeout is a global option: Jest ignores it inside `projects`.
export default { projects, testTimeout: 30_000 };
