import { projectConfig } from '../jest.preset.mjs';

// Offline checks of the files in this folder (they are data, not code): `checks/*.spec.ts`,
// one project (`unit:k8s`): projectConfig's int project would run the same files again.
const { projects } = projectConfig(import.meta.dirname, { testMatch: ['<rootDir>/checks/**/*.spec.ts'] });
export default { projects: projects.filter((p) => p.displayName === 'unit') };
