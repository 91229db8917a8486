import { backtestDriftWatch } from '../../commands/backtest-drift-watch.ts';
import { UsageError } from '../../config/errors.ts';
import { createDatabase } from '../../db/database.ts';
import { type BacktestResult, fixed, severityLabelTitle, signedFixed } from '../../domain/analytics/index.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';
import { parseSensitivity, resolveCustomer, textTable } from './analytics-shared.ts';

/** Δ of an episode's first detection in the signal's display unit. */
function deltaText(signal: string, delta: number): string {
  return signal === 'DECISION_TIME' ? `${signedFixed(delta, 1)} days` : `${signedFixed(delta * 100, 1)} pts`;
}

/** The episode table and week line of a backtest (also used by tests). */
export function formatBacktest(result: BacktestResult): string[] {
  const lines: string[] = [];
  lines.push(`Weeks replayed: ${result.weeks.length}`);
  lines.push(`Findings per week: ${result.weeks.map((w) => `${w.as_of}=${w.findings}`).join(' ') || '-'}`);
  lines.push('');
  if (result.episodes.length === 0) {
    lines.push('No drift episodes detected in this range.');
    return lines;
  }
  lines.push(
    ...textTable(
      [
        'Payer',
        'CPT group',
        'Signal',
        'Direction',
        'First detected',
        'Last detected',
        'Weeks',
        'First severity',
        'Max severity',
        'First Δ',
        'First q',
      ],
      result.episodes.map((e) => [
        e.payer,
        e.cpt_group,
        e.signal_type,
        e.direction,
        e.first_detected_as_of,
        e.last_detected_as_of,
        String(e.weeks_detected),
        `${severityLabelTitle(e.first_severity_label)} (${fixed(e.first_severity, 2)})`,
        `${severityLabelTitle(e.max_severity_label)} (${fixed(e.max_severity, 2)})`,
        deltaText(e.signal_type, e.first_delta),
        e.first_q_value === null ? '-' : e.first_q_value.toPrecision(3),
      ]),
    ),
  );
  return lines;
}

export const backtestCommand: Command = {
  name: 'backtest',
  summary: 'Replay weekly DriftWatch runs for a customer and print the detection episodes',
  usage: `Usage: payrixa backtest --customer <id|name> --from <YYYY-MM-DD> --to <YYYY-MM-DD> [--sensitivity strict|reference]

Replays DriftWatch for every Monday in [from, to] over the customer's current rollups
(analytics spec §10.3), records the result as a backtest run and prints the episodes:
consecutive weekly detections of (payer, CPT group, signal, direction). Writes no
findings, alerts or events. 'to' must not be in the future; at most 104 weeks.

Options:
  --customer <id|name>   the customer
  --from, --to           the range (inclusive)
  --sensitivity          strict (default: the customer's setting) or reference
  --json                 print the stored result as JSON`,
  async run(args, context) {
    const { values } = parseFlags('backtest', args, {
      customer: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      sensitivity: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, backtestCommand.usage);
      return 0;
    }
    if (!values.from || !values.to) {
      throw new UsageError("--from and --to are required. Run 'payrixa backtest --help' for usage.");
    }
    const sensitivity = parseSensitivity(values.sensitivity, 'backtest');
    const database = await createDatabase(context.config());
    try {
      const customer = await resolveCustomer(database.db, values.customer, 'backtest');
      const { run, result } = await backtestDriftWatch(database.db, {
        customerId: customer.id,
        from: values.from,
        to: values.to,
        ...(sensitivity && { sensitivity }),
      });
      const { stdout } = context.io;
      if (values.json) {
        println(stdout, JSON.stringify({ report_run_id: run.id, ...result }, null, 2));
        return 0;
      }
      println(
        stdout,
        `DriftWatch backtest for ${customer.name} (${values.from} – ${values.to}), run ${run.id}`,
      );
      for (const line of formatBacktest(result)) println(stdout, line);
      return 0;
    } finally {
      await database.close();
    }
  },
};
