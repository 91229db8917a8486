import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '../../config/errors.ts';
import {
  createSyntheticGenerator,
  type FileResult,
  type GeneratorInput,
  GeneratorOptionError,
  manifestJson,
  type PendingMode,
  type SplitMode,
} from '../../domain/synthetic/index.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';

const COMMAND = 'demo generate';
const HELP_HINT = `Run 'payrixa ${COMMAND} --help' for usage.`;

function usageError(message: string): UsageError {
  return new UsageError(`${message.replace(/\.$/, '')}. ${HELP_HINT}`);
}

function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw usageError(`Invalid ${flag} '${value}': expected a whole number`);
  return Number(value.trim());
}

function rate(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (!/^(\d+(\.\d+)?|\.\d+)$/.test(text) || Number(text) > 1) {
    throw usageError(`Invalid ${flag} '${value}': expected a number between 0 and 1`);
  }
  return Number(text);
}

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw usageError(`Invalid ${flag} '${value}': expected ${allowed.join(' or ')}`);
  }
  return value as T;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

export const demoGenerateCommand: Command = {
  name: 'generate',
  summary: 'Write synthetic claim CSV files and manifest.json (stores nothing)',
  usage: `Usage: payrixa demo generate [--seed <n>] [--end-date <date>] [--months <n>]
         [--claims-per-day <n>] [--scenario <spec>]... [--dirty-rate <r>]
         [--format-variety <r>] [--no-claim-id] [--pending include|omit]
         [--split none|monthly] [--out <dir>]

Writes deterministic synthetic claims in the 16-column CSV template, one file per
month (or one file), and manifest.json. Nothing is stored in the database.
Identical options give byte-identical files. See docs/DEMO-DATA.md.

Options:
  --seed <n>            PRNG seed (default 20261127)
  --end-date <date>     YYYY-MM-DD; history ends the day before (default today, UTC)
  --months <n>          months of history, minimum 13 (default 13)
  --claims-per-day <n>  claims per weekday (default 80; weekends 10%)
  --scenario <spec>     planted scenario, repeatable: name:key=value,...
                        denial_spike, decision_drift, denial_dollars_spike,
                        new_denial_reason, payment_delay, underpayment
  --dirty-rate <r>      share of rows replaced by dirty rows, 0..1 (default 0)
  --format-variety <r>  share of rows in MM/DD/YYYY, $1,234.50, approved/rejected (default 0)
  --no-claim-id         leave the claim_id column empty
  --pending <mode>      omit (default): leave out claims decided after the end date
                        and blank later payment dates, as a real export; include: keep them
  --split <mode>        monthly (default) or none (one claims.csv)
  --out <dir>           output directory (default ./demo-data)`,
  async run(args, context) {
    const { values } = parseFlags(COMMAND, args, {
      seed: { type: 'string' },
      'end-date': { type: 'string' },
      months: { type: 'string' },
      'claims-per-day': { type: 'string' },
      scenario: { type: 'string', multiple: true },
      'dirty-rate': { type: 'string' },
      'format-variety': { type: 'string' },
      'no-claim-id': { type: 'boolean' },
      pending: { type: 'string' },
      split: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    const { stdout } = context.io;
    if (values.help) {
      println(stdout, demoGenerateCommand.usage);
      return 0;
    }

    const input: GeneratorInput = {};
    const seed = wholeNumber('--seed', values.seed);
    if (seed !== undefined) input.seed = seed;
    if (values['end-date'] !== undefined) input.endDate = values['end-date'].trim();
    const months = wholeNumber('--months', values.months);
    if (months !== undefined) input.months = months;
    const perDay = wholeNumber('--claims-per-day', values['claims-per-day']);
    if (perDay !== undefined) input.claimsPerDay = perDay;
    if (values.scenario) input.scenarios = values.scenario;
    const dirtyRate = rate('--dirty-rate', values['dirty-rate']);
    if (dirtyRate !== undefined) input.dirtyRate = dirtyRate;
    const variety = rate('--format-variety', values['format-variety']);
    if (variety !== undefined) input.formatVariety = variety;
    if (values['no-claim-id']) input.claimId = false;
    const pending = oneOf<PendingMode>('--pending', values.pending, ['include', 'omit']);
    if (pending) input.pending = pending;
    const split = oneOf<SplitMode>('--split', values.split, ['none', 'monthly']);
    if (split) input.split = split;

    let generator: ReturnType<typeof createSyntheticGenerator>;
    try {
      generator = createSyntheticGenerator(input);
    } catch (error) {
      if (error instanceof GeneratorOptionError) throw usageError(error.message);
      throw error;
    }

    const outArg = values.out ?? './demo-data';
    const outDir = resolve(outArg);
    await mkdir(outDir, { recursive: true });
    const results: FileResult[] = [];
    for (const file of generator.files) {
      const stream = generator.stream(file);
      await pipeline(Readable.from(stream.chunks), createWriteStream(join(outDir, file.name)));
      results.push(stream.result());
    }
    const manifest = generator.manifest(results);
    await writeFile(join(outDir, 'manifest.json'), manifestJson(manifest));

    const o = generator.options;
    const width = Math.max(...results.map((r) => r.name.length), 'manifest.json'.length);
    println(
      stdout,
      `Generated ${results.length} file${results.length === 1 ? '' : 's'} with ${fmt(manifest.totals.rows)} rows in ${outArg}`,
    );
    for (const r of results) println(stdout, `  ${r.name.padEnd(width)}  ${fmt(r.rows).padStart(7)} rows`);
    println(stdout, '  manifest.json');
    println(
      stdout,
      `History ${manifest.history.start} to ${manifest.history.end} (exclusive, ${manifest.history.days} days), seed ${o.seed}.`,
    );
    // The last submission day is the day before the end date; ingestion accepts up to tomorrow.
    const latestAccepted = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    if (manifest.history.end > latestAccepted) {
      println(
        stdout,
        'Note: the end date is in the future; ingestion rejects submission dates after tomorrow.',
      );
    }
    if (o.months !== o.monthsRequested) {
      println(stdout, `Note: --months ${o.monthsRequested} raised to the minimum of ${o.months}.`);
    }
    const expected = manifest.totals.expected;
    println(
      stdout,
      `Dirty rows: ${fmt(manifest.totals.dirty_rows)} (expected rejected ${fmt(expected.rejected)}: ` +
        `phi ${expected.rejected_by_category.phi}, missing_fields ${expected.rejected_by_category.missing_fields}, ` +
        `invalid_dates ${expected.rejected_by_category.invalid_dates}, invalid_values ${expected.rejected_by_category.invalid_values}).`,
    );
    if (manifest.scenarios.length === 0) {
      println(stdout, 'Scenarios: none.');
    } else {
      println(stdout, 'Scenarios:');
      for (const s of manifest.scenarios) {
        println(stdout, `  ${s.spec}`);
        println(
          stdout,
          `    ${s.product} ${s.finding}; decisions from ${s.window.start} (end ${s.window.end}); ` +
            `${fmt(s.rows_in_target)} rows in target, ${fmt(s.rows_changed)} changed`,
        );
      }
    }
    return 0;
  },
};
