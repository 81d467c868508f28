/**
 * The browser's side of the platform seam (core/platform.ts): no environment variables and no file
 * system. Whatever needs a file says so by name; in a browser, pass the content instead (a checkpoint as
 * an ArrayBuffer: nn's checkpointToArrayBuffer / checkpointFromArrayBuffer; a config as an object).
 */
import type { Platform } from './platform.js';

export const browserPlatform: Platform = {
  name: 'browser',
  env: () => undefined,
  readTextFile(path) {
    throw new Error(`cannot read ${path}: there is no file system in a browser (pass the content instead)`);
  },
  builtin(name, what) {
    throw new Error(`${what} needs Node (${name}); in a browser use the ArrayBuffer / object form instead`);
  },
};
