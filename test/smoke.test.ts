import { afterEach, describe, expect, it } from 'vitest';
import { enforce, tempStore, type TempStore } from './support/harness.js';

describe('harness', () => {
  let store: TempStore | undefined;
  afterEach(async () => store?.close());

  it('migrates a temp store and runs the shipped policy on it without changing an empty store', async () => {
    store = await tempStore();
    const r = await enforce(store);
    expect(r.status).toBe('ok');
    expect(r.changed).toBe(0);
    expect(r.stages.length).toBeGreaterThan(20);
  });
});
