import { evaluateAndSendAlertsNow, produceWeeklyPdfsNow } from '../../commands/alert-runs-now.ts';
import { analysisAsOf, utcToday } from '../../commands/request-analysis.ts';
import { ANALYSIS_PRODUCTS, runAnalysis } from '../../commands/run-analysis.ts';
import { AppError, UsageError } from '../../config/errors.ts';
import { createDatabase } from '../../db/database.ts';
import type { AnalysisRunRecord } from '../../db/repositories/analysis-runs.repository.ts';
import { enabledAnalysisProducts } from '../../db/repositories/analysis-runs.repository.ts';
import { listRunFindings } from '../../db/repositories/findings.repository.ts';
import type { AnalysisProduct } from '../../db/schema.ts';
import { fixed, PRODUCT_NAME, severityLabelTitle } from '../../domain/analytics/index.ts';
import { createMailer, mailDestination } from '../../notify/mail.ts';
import { createLogger } from '../../obs/logger.ts';
import { systemClock } from '../../services.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';
import { parseSensitivity, resolveCustomer, textTable } from './analytics-shared.ts';

function parseProducts(value: string | undefined): AnalysisProduct[] | undefined {
  if (value === undefined) return undefined;
  const out: AnalysisProduct[] = [];
  for (const raw of value.split(',')) {
    const name = raw.trim().toLowerCase();
    if (!name) continue;
    if (!(ANALYSIS_PRODUCTS as readonly string[]).includes(name)) {
      throw new UsageError(
        `Unknown product '${raw.trim()}' (driftwatch, denialscope, delayguard). Run 'payrixa analyze --help' for usage.`,
      );
    }
    if (!out.includes(name as AnalysisProduct)) out.push(name as AnalysisProduct);
  }
  return out;
}

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'Run DriftWatch / DenialScope / DelayGuard for a customer now',
  usage: `Usage: payrixa analyze --customer <id|name> [--product <p>[,<p>…]] [--as-of <YYYY-MM-DD>] [--sensitivity strict|reference]

Runs the analyses in this process (no worker needed) exactly as a job would
(analytics spec §10.1): the run of (customer, product, as_of) is recorded or reused,
its findings are replaced in one transaction and signal events are recorded for new
findings. Without --product every enabled product runs; a named product must be
enabled. Default as_of: today (DriftWatch: the latest Monday on or before today).
After the successful runs their alert rules are evaluated and the new alerts sent from
this process, as the alerts.evaluate and alerts.send jobs would (--no-alerts skips it).
A successful DriftWatch run also gets its weekly drift PDF (stored under DATA_DIR), as
the report_artifact job would make it.

Options:
  --customer <id|name>   the customer
  --product <list>       driftwatch, denialscope, delayguard (comma-separated)
  --as-of <date>         run date; windows end the day before (default: the day after the
                         customer's latest decision, or today; DriftWatch: that week's Monday)
  --sensitivity          override the customer's drift sensitivity for this run
  --no-alerts            do not evaluate alert rules or send alerts for these runs`,
  async run(args, context) {
    const { values } = parseFlags('analyze', args, {
      customer: { type: 'string' },
      product: { type: 'string' },
      'as-of': { type: 'string' },
      sensitivity: { type: 'string' },
      'no-alerts': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, analyzeCommand.usage);
      return 0;
    }
    const requested = parseProducts(values.product);
    const sensitivity = parseSensitivity(values.sensitivity, 'analyze');
    const config = context.config();
    const database = await createDatabase(config, { embedded: { role: 'analyze' } });
    const logger = createLogger(config, 'payrixa');
    try {
      const db = database.db;
      const customer = await resolveCustomer(db, values.customer, 'analyze');
      const enabled = await enabledAnalysisProducts(db, customer.id);
      const products = requested ?? enabled;
      for (const product of products) {
        if (!enabled.includes(product)) {
          throw new AppError(
            'product_not_enabled',
            `${PRODUCT_NAME[product]} is not enabled for ${customer.name}.`,
            403,
          );
        }
      }
      const { stdout } = context.io;
      if (products.length === 0) {
        println(stdout, `No products are enabled for ${customer.name}.`);
        return 0;
      }
      const today = utcToday();
      let failed = false;
      const succeeded: AnalysisRunRecord[] = [];
      for (const product of products) {
        // Without --as-of the analysis ends where the customer's data ends (issue 9).
        const asOf = values['as-of'] ?? (await analysisAsOf(db, customer.id, product, today));
        try {
          const result = await runAnalysis(
            { db, logger },
            {
              customerId: customer.id,
              product,
              asOf,
              runType: 'manual',
              ...(sensitivity && { sensitivity }),
            },
          );
          if (result.status === 'success') succeeded.push(result.run);
          const findings = await listRunFindings(db, customer.id, result.run.id);
          println(
            stdout,
            `${PRODUCT_NAME[product]} as of ${asOf}: run ${result.run.id} ${result.run.status}, ` +
              `${findings.length} finding(s), ${result.newFingerprints} new`,
          );
          if (findings.length > 0) {
            for (const line of textTable(
              ['Severity', 'Signal', 'Payer', 'Group/Reason', 'Summary'],
              findings.map((f) => [
                `${severityLabelTitle(f.severity_label)} (${fixed(f.severity, 2)})`,
                f.signal_type,
                f.payer,
                f.cpt_group ?? f.denial_reason ?? '',
                f.summary_text,
              ]),
            )) {
              println(stdout, `  ${line}`);
            }
          }
        } catch (error) {
          failed = true;
          println(context.io.stderr, `Error: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      // The weekly drift PDF of a DriftWatch run, as the report_artifact job would make it.
      try {
        const pdfs = await produceWeeklyPdfsNow(
          { db, config, clock: systemClock, logger },
          customer.id,
          succeeded,
        );
        for (const pdf of pdfs) {
          println(
            stdout,
            `Weekly drift PDF for ${pdf.asOf}: ${pdf.sizeBytes} bytes, sha256 ${pdf.sha256} (artifact ${pdf.artifactId}).`,
          );
        }
      } catch (error) {
        failed = true;
        println(context.io.stderr, `Error: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (succeeded.length > 0 && !values['no-alerts']) {
        const mailer = createMailer(config, logger);
        try {
          const alerts = await evaluateAndSendAlertsNow(
            { db, config, mailer, clock: systemClock, logger },
            customer.id,
            succeeded,
          );
          const { created, sent, suppressed, failed: notSent, pending } = alerts;
          // Quiet when the rules matched nothing (no rules, or no finding above a threshold).
          if (created + sent + suppressed + notSent + pending > 0) {
            println(
              stdout,
              `Alerts: ${created} created, ${sent} sent, ${suppressed} suppressed` +
                `${notSent ? `, ${notSent} failed` : ''}` +
                `${pending ? `, ${pending} retrying (the worker's dispatcher finishes them)` : ''}.`,
            );
          }
          if (sent + notSent > 0) println(stdout, `Email is ${mailDestination(config)}.`);
        } finally {
          await mailer.close();
        }
      }
      return failed ? 1 : 0;
    } finally {
      await database.close();
    }
  },
};
