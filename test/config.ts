import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '../src/config/env.ts';

/** A test-mode configuration with its own temporary DATA_DIR; `env` overrides variables. */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    PAYRIXA_ENV: 'test',
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'payrixa-test-')),
    LOG_LEVEL: 'silent',
    ...env,
  });
}
