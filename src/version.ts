/** lethe's version, from package.json: two folders up from dist/src/version.js, one up from src/version.ts (tests). */
import { existsSync, readFileSync } from 'node:fs';

const file = [new URL('../../package.json', import.meta.url), new URL('../package.json', import.meta.url)].find((u) => existsSync(u))!;
export const VERSION: string = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
