import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createArtifactStore, sha256Hex } from './artifact-store.ts';

describe('artifact store', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes atomically under DATA_DIR, reads back, and reports size and hash', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'payrixa-store-'));
    const store = createArtifactStore(dir);
    const bytes = Buffer.from('%PDF-1.4 test');
    expect(await store.write('reports/7/weekly_drift_1.pdf', bytes)).toEqual({
      sizeBytes: bytes.length,
      sha256: sha256Hex(bytes),
    });
    expect((await store.read('reports/7/weekly_drift_1.pdf'))?.equals(bytes)).toBe(true);
    expect(await readdir(path.join(dir, 'reports/7'))).toEqual(['weekly_drift_1.pdf']);
    await store.remove('reports/7/weekly_drift_1.pdf');
    expect(await store.read('reports/7/weekly_drift_1.pdf')).toBeNull();
  });

  it('refuses a key that would leave DATA_DIR', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'payrixa-store-'));
    const store = createArtifactStore(dir);
    await expect(store.write('../escape.pdf', Buffer.from('x'))).rejects.toThrow('Invalid artifact key');
    await expect(store.read('/etc/passwd')).rejects.toThrow('Invalid artifact key');
  });
});
