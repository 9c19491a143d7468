/** Writes policies.schema.json beside policies.yaml (npm run schema). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { policyJsonSchema } from './input-schema.js';

const target = fileURLToPath(new URL('../../../policies.schema.json', import.meta.url));
writeFileSync(target, JSON.stringify(policyJsonSchema(), null, 2) + '\n');
console.log(`wrote ${target}`);
