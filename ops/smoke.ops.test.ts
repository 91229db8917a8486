import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { OPS_ENABLED } from './ops-env.ts';

describe.skipIf(!OPS_ENABLED)('operations environment', () => {
  it('has the tools the operations checks use (nginx, openssl, pg_dump)', () => {
    for (const [tool, flag] of [
      ['nginx', '-v'],
      ['openssl', 'version'],
      ['pg_dump', '--version'],
    ] as const) {
      const result = spawnSync(tool, [flag], { encoding: 'utf8' });
      expect(result.error, `${tool} is installed`).toBeUndefined();
      expect(result.status, `${tool} ${flag}`).toBe(0);
    }
  });
});
