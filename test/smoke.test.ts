import { afterEach, describe, expect, it } from 'vitest';
import { enforce, tempStore, type TempStore } from './support/harness.js';
import { testEngines } from './support/engines.js';

const engines = await testEngines();

describe.each(engines)('shipped policy on an empty %s store', (engine) => {
  let store: TempStore | undefined;
  afterEach(async () => store?.close());

  it('migrates, validates and runs without changing anything', async () => {
    store = await tempStore(undefined, engine);
    const r = await enforce(store);
    expect(r.error).toBeNull();
    expect(r.status).toBe('ok');
    expect(r.changed).toBe(0);
    expect(r.stages.length).toBe(34);
  });
});
