import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../domain/synthetic/index.ts';
import type { CliIO } from '../io.ts';
import { main } from '../main.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'payrixa-demo-generate-'));
  dirs.push(dir);
  return dir;
}

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => {
    out += String(chunk);
  });
  stderr.on('data', (chunk) => {
    err += String(chunk);
  });
  const io: CliIO = { stdout, stderr, stdin, env: {} };
  const code = await main(argv, io);
  return { code, stdout: out, stderr: err };
}

describe('payrixa demo generate', () => {
  it('writes monthly CSV files and a consistent manifest.json, and prints a summary', async () => {
    const tmp = tempDir();
    const result = await run(['demo', 'generate', '--seed', '7', '--months', '2', '--out', tmp]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const manifest = JSON.parse(readFileSync(join(tmp, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.seed).toBe(7);
    expect(manifest.options).toMatchObject({
      months: 13,
      months_requested: 2,
      pending: 'omit',
      split: 'monthly',
      scenarios: [],
    });
    const csvFiles = readdirSync(tmp)
      .filter((name) => name.endsWith('.csv'))
      .sort();
    expect(csvFiles).toEqual(manifest.files.map((f) => f.name));
    expect(csvFiles.length).toBeGreaterThanOrEqual(13);
    let rows = 0;
    for (const file of manifest.files) {
      const bytes = readFileSync(join(tmp, file.name));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
      expect(bytes.length).toBe(file.bytes);
      const lines = bytes.toString('utf8').split('\n');
      expect(lines[0]).toBe(manifest.columns.join(','));
      expect(lines.length - 2).toBe(file.rows);
      rows += file.rows;
    }
    expect(manifest.totals.rows).toBe(rows);

    expect(result.stdout).toContain(
      `Generated ${manifest.files.length} files with ${rows.toLocaleString('en-US')} rows in ${tmp}`,
    );
    expect(result.stdout).toContain(`  ${manifest.files[0]!.name}`);
    expect(result.stdout).toContain('Note: --months 2 raised to the minimum of 13.');
    expect(result.stdout).toContain('Scenarios: none.');
  });

  it('is deterministic across runs and reports scenarios', async () => {
    const a = tempDir();
    const b = tempDir();
    const argv = (out: string) => [
      'demo',
      'generate',
      '--seed',
      '3',
      '--end-date',
      '2026-11-27',
      '--claims-per-day',
      '10',
      '--split',
      'none',
      '--dirty-rate',
      '0.02',
      '--format-variety',
      '0.1',
      '--scenario',
      'payment_delay:payer=Cigna,days=12',
      '--scenario',
      'new_denial_reason:payer=Aetna,count=5',
      '--out',
      out,
    ];
    const first = await run(argv(a));
    const second = await run(argv(b));
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(readdirSync(a).sort()).toEqual(['claims.csv', 'manifest.json']);
    for (const name of ['claims.csv', 'manifest.json']) {
      expect(readFileSync(join(b, name)).equals(readFileSync(join(a, name)))).toBe(true);
    }
    // A slowdown's window defaults to days + 14: decisions from 2026-11-01 on happen 12 days later.
    expect(first.stdout).toContain('payment_delay:payer=Cigna,days=12,window=26');
    expect(first.stdout).toContain(
      'DelayGuard payment_delay_drift; decisions from 2026-11-01 (end 2026-11-27)',
    );
    expect(first.stdout).toContain('DenialScope new_denial_reason');
    const manifest = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.scenarios.map((s) => s.name)).toEqual(['payment_delay', 'new_denial_reason']);
    expect(manifest.scenarios[1]!.rows_changed).toBe(5);
  });

  it('prints its help', async () => {
    const result = await run(['demo', 'generate', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: payrixa demo generate [--seed <n>]');
  });

  it.each([
    [['--bogus'], "Error: Unknown option '--bogus'. Run 'payrixa demo generate --help' for usage.\n"],
    [
      ['--seed', 'abc'],
      "Error: Invalid --seed 'abc': expected a whole number. Run 'payrixa demo generate --help' for usage.\n",
    ],
    [
      ['--dirty-rate', '2'],
      "Error: Invalid --dirty-rate '2': expected a number between 0 and 1. Run 'payrixa demo generate --help' for usage.\n",
    ],
    [
      ['--pending', 'maybe'],
      "Error: Invalid --pending 'maybe': expected include or omit. Run 'payrixa demo generate --help' for usage.\n",
    ],
    [
      ['--end-date', '2026-02-30'],
      "Error: --end-date must be a calendar date YYYY-MM-DD (got '2026-02-30'). Run 'payrixa demo generate --help' for usage.\n",
    ],
    [
      ['--scenario', 'denial_spike:payer=Acme'],
      "Error: Unknown payer 'Acme' in scenario 'denial_spike'. Payers: Blue Cross Blue Shield, UnitedHealthcare, Aetna, Cigna, Humana, Medicare, Medicaid. Run 'payrixa demo generate --help' for usage.\n",
    ],
  ])('usage error %j → exit 2, nothing written', async (flags, message) => {
    const tmp = join(tempDir(), 'out');
    const result = await run(['demo', 'generate', ...flags, '--out', tmp]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(message);
    expect(existsSync(tmp)).toBe(false);
  });
});
