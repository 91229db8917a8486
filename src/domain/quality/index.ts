/** Public surface of the data-quality domain (§2.11, §4): report, rules, detectors, metrics. */
export * from './anomalies.ts';
export * from './grades.ts';
export * from './metrics.ts';
export * from './report.ts';
export * from './rules.ts';
