/**
 * The alert-fatigue bench's report (pure): per customer and pass, alerts per week, delivered vs
 * suppressed by reason, first alerts vs reminders, and per planted change the weeks from the
 * change becoming visible to its first alert.
 */
import { toEpochDay } from '../../src/domain/analytics/dates.ts';
import type { AlertRecord, CustomerResult, PassResult } from './replay.ts';
import { plantEntities } from './year.ts';

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Nearest-rank percentile (p in 0–100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Longest run of consecutive weeks in a set of week indexes. */
export function longestStreak(weeks: Iterable<number>): number {
  const set = new Set(weeks);
  let best = 0;
  for (const w of set) {
    if (set.has(w - 1)) continue;
    let n = 1;
    while (set.has(w + n)) n++;
    best = Math.max(best, n);
  }
  return best;
}

export interface PassSummary {
  readonly total: number;
  readonly mean: number;
  readonly median: number;
  readonly p90: number;
  readonly max: number;
  readonly delivered: number;
  readonly cooldown: number;
  readonly noiseMemory: number;
  readonly other: number;
  readonly planted: number;
  readonly sideEffect: number;
  readonly falseAlarm: number;
  readonly firstAlerts: number;
  readonly reminders: number;
  readonly remindersOfChanges: number;
  readonly remindersOfFalseAlarms: number;
  /** Noise-memory suppressions of alerts that were false alarms / that matched a change. */
  readonly noiseMemoryFalseAlarms: number;
  readonly noiseMemoryReal: number;
  /** Noise-judged alerts whose key alerted again within 30 days (4 weeks) / distinct keys judged noise. */
  readonly noiseKeysAgainWithin30Days: number;
  readonly noiseKeys: number;
  /** Delivered per week (what the billing team reads). */
  readonly deliveredMean: number;
  readonly deliveredMax: number;
}

/** What the simulated operator judges noise: a delivered alert matching no planted change. */
function judgedNoise(r: AlertRecord): boolean {
  return r.outcome === 'delivered' && r.klass === 'false_alarm';
}

export function summarisePass(pass: PassResult): PassSummary {
  const a = pass.alerts;
  const count = (f: (r: AlertRecord) => boolean): number => a.filter(f).length;
  const deliveredPerWeek = pass.perWeek.map((_, week) =>
    count((r) => r.week === week && r.outcome === 'delivered'),
  );
  const weeks = Math.max(pass.perWeek.length, 1);
  return {
    total: a.length,
    mean: a.length / weeks,
    median: median(pass.perWeek),
    p90: percentile(pass.perWeek, 90),
    max: Math.max(0, ...pass.perWeek),
    delivered: count((r) => r.outcome === 'delivered'),
    cooldown: count((r) => r.outcome === 'cooldown'),
    noiseMemory: count((r) => r.outcome === 'noise_memory'),
    other: count((r) => r.outcome === 'other'),
    planted: count((r) => r.klass === 'planted'),
    sideEffect: count((r) => r.klass === 'side_effect'),
    falseAlarm: count((r) => r.klass === 'false_alarm'),
    firstAlerts: count((r) => !r.reminder),
    reminders: count((r) => r.reminder),
    remindersOfChanges: count((r) => r.reminder && r.klass !== 'false_alarm'),
    remindersOfFalseAlarms: count((r) => r.reminder && r.klass === 'false_alarm'),
    noiseMemoryFalseAlarms: count((r) => r.outcome === 'noise_memory' && r.klass === 'false_alarm'),
    noiseMemoryReal: count((r) => r.outcome === 'noise_memory' && r.klass !== 'false_alarm'),
    noiseKeys: new Set(a.filter(judgedNoise).map((r) => r.key)).size,
    noiseKeysAgainWithin30Days: a.filter(
      (r) =>
        judgedNoise(r) &&
        a.some((later) => later.key === r.key && later.week > r.week && later.week - r.week <= 4),
    ).length,
    deliveredMean: deliveredPerWeek.reduce((s, n) => s + n, 0) / weeks,
    deliveredMax: Math.max(0, ...deliveredPerWeek),
  };
}

export interface PlantSummary {
  readonly label: string;
  readonly entities: readonly string[];
  /** First replayed Monday after the change started (its first claims are in that export). */
  readonly visible: string | null;
  readonly firstAlert: string | null;
  /** Weeks from visible to the first alert on an expected (product, signal, entity). */
  readonly weeksToFirstAlert: number | null;
  /** Alerts on the change's expected keys: total, of which reminders. */
  readonly alerts: number;
  readonly reminders: number;
  /** Alerts on keys the change legitimately moves (side effects). */
  readonly sideEffects: number;
  /** Longest run of consecutive weekly alerts on one of its expected keys. */
  readonly longestStreak: number;
  /** Weeks the change was in effect during the replay (visible … reverted or year end). */
  readonly weeksActive: number | null;
  /** Findings (any severity) on its expected keys: weeks with one, first week, max severity. */
  readonly findingWeeks: number;
  readonly firstFinding: string | null;
  readonly maxSeverity: number | null;
}

export function summarisePlants(result: CustomerResult, pass: PassResult): PlantSummary[] {
  const mondays = result.mondays;
  return result.plants.map((plant, index) => {
    const fromDay = toEpochDay(plant.from);
    const visibleWeek = mondays.findIndex((m) => toEpochDay(m) > fromDay);
    const endWeek =
      plant.until === null
        ? mondays.length
        : mondays.findIndex((m) => toEpochDay(m) > toEpochDay(plant.until as string));
    const own = pass.alerts.filter((r) => r.plant === index && r.klass === 'planted');
    const first = own[0];
    const weeksByKey = new Map<string, number[]>();
    for (const r of own) weeksByKey.set(r.key, [...(weeksByKey.get(r.key) ?? []), r.week]);
    const found = result.findings.filter((f) => f.plant === index && f.klass === 'planted');
    const firstFindingWeek = found.length ? Math.min(...found.map((f) => f.week)) : null;
    return {
      findingWeeks: new Set(found.map((f) => f.week)).size,
      firstFinding: firstFindingWeek === null ? null : (mondays[firstFindingWeek] as string),
      maxSeverity: found.length ? Math.max(...found.map((f) => f.severity)) : null,
      label: plant.label,
      entities: plantEntities(plant.effect),
      visible: visibleWeek < 0 ? null : (mondays[visibleWeek] as string),
      firstAlert: first ? first.asOf : null,
      weeksToFirstAlert: first && visibleWeek >= 0 ? first.week - visibleWeek : null,
      alerts: own.length,
      reminders: own.filter((r) => r.reminder).length,
      sideEffects: pass.alerts.filter((r) => r.plant === index && r.klass === 'side_effect').length,
      longestStreak: Math.max(0, ...[...weeksByKey.values()].map((w) => longestStreak(w))),
      weeksActive: visibleWeek < 0 ? null : (endWeek < 0 ? mondays.length : endWeek) - visibleWeek,
    };
  });
}

const CLASS_LABEL: Record<AlertRecord['klass'], string> = {
  planted: 'change',
  side_effect: 'side effect',
  false_alarm: 'false alarm',
};

/** The default rule's threshold (severity ≥ 0.70). */
const SEVERE = 0.7;

function f2(n: number): string {
  return n.toFixed(2);
}

function passLines(title: string, s: PassSummary, pass: PassResult): string[] {
  return [
    `  ${title}: ${s.total} alerts; per week mean ${f2(s.mean)}, median ${s.median}, p90 ${s.p90}, max ${s.max}; delivered ${s.delivered} (per week mean ${f2(s.deliveredMean)}, max ${s.deliveredMax}), suppressed cooldown ${s.cooldown}, noise memory ${s.noiseMemory}${s.other ? `, other ${s.other}` : ''}.`,
    `    of a planted change ${s.planted}, side effect of one ${s.sideEffect}, false alarm ${s.falseAlarm}; first alerts ${s.firstAlerts}, reminders ${s.reminders} (of changes ${s.remindersOfChanges}, of false alarms ${s.remindersOfFalseAlarms}).`,
    ...(pass.judgments.real + pass.judgments.noise > 0
      ? [
          `    feedback: ${pass.judgments.real} judged real, ${pass.judgments.noise} judged noise; noise memory suppressed ${s.noiseMemory} (false alarms ${s.noiseMemoryFalseAlarms}, real ${s.noiseMemoryReal}); keys judged noise ${s.noiseKeys}, noise-judged alerts whose key alerted again within 30 days ${s.noiseKeysAgainWithin30Days} (noise memory needs 2 noise verdicts on a key within 30 days, then a 3rd alert).`,
        ]
      : []),
  ];
}

/** The printed report of one customer. */
export function customerLines(result: CustomerResult): string[] {
  const p = result.profile;
  const plain = summarisePass(result.noFeedback);
  const judged = summarisePass(result.withFeedback);
  const lines = [
    `${p.name}: ${p.payers} payers x ${p.groups} CPT groups (${result.cells} cells), ${p.claimsPerCellWeek} claims/cell/week, ${result.claims} claims; ${result.mondays.length} Mondays ${result.mondays[0]} … ${result.mondays.at(-1)} findings ${result.findings.length} (severity ≥ 0.70: ${result.findings.filter((f) => f.severity >= SEVERE).length}; false alarms ${result.findings.filter((f) => f.klass === 'false_alarm').length}, of them ≥ 0.70: ${result.findings.filter((f) => f.klass === 'false_alarm' && f.severity >= SEVERE).length}) (generate ${result.millis.generate} ms, load ${(result.millis.load / 1000).toFixed(1)} s, analyse ${(result.millis.analyse / 1000).toFixed(1)} s).`,
    ...passLines('No feedback', plain, result.noFeedback),
    ...passLines('With feedback', judged, result.withFeedback),
    '  Planted changes (no-feedback pass): visible → first alert (weeks), alerts on it (reminders), longest weekly streak on one key, weeks active, side-effect alerts:',
  ];
  for (const s of summarisePlants(result, result.noFeedback)) {
    lines.push(
      `    - ${s.label} [${s.entities.join(', ')}]: visible ${s.visible ?? '—'} → ${s.firstAlert ?? 'no alert'}${s.weeksToFirstAlert === null ? '' : ` (+${s.weeksToFirstAlert} wk)`}; ${s.alerts} alerts (${s.reminders} reminders), streak ${s.longestStreak}, active ${s.weeksActive ?? '—'} wk, side effects ${s.sideEffects}; findings in ${s.findingWeeks} weeks${s.firstFinding ? ` from ${s.firstFinding}, max severity ${s.maxSeverity?.toFixed(2)}` : ''}.`,
    );
  }
  const byKey = new Map<string, AlertRecord[]>();
  for (const r of result.noFeedback.alerts) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  for (const [key, records] of byKey) {
    if (records.length < 2) continue;
    lines.push(
      `    repeated key ${key}: ${records.map((r) => `${r.asOf} (${CLASS_LABEL[r.klass]})`).join(', ')}`,
    );
  }
  lines.push(
    `  Per week, no feedback (created): ${result.noFeedback.perWeek.join(' ')}`,
    `  Per week, with feedback (delivered): ${result.withFeedback.perWeek
      .map(
        (_, week) =>
          result.withFeedback.alerts.filter((r) => r.week === week && r.outcome === 'delivered').length,
      )
      .join(' ')}`,
  );
  return lines;
}
