import { e2eConfig } from '../jest.preset.mjs';

export default e2eConfig(import.meta.dirname);
