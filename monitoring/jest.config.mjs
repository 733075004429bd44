import { projectConfig } from '../jest.preset.mjs';

// Offline checks of the files in this folder (they are data, not code): `checks/*.spec.ts`.
export default projectConfig(import.meta.dirname, { testMatch: ['<rootDir>/checks/**/*.spec.ts'] });
