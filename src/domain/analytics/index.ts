/** Analytics domain (analytics spec): detectors, findings, evidence and interpretation. Pure, no I/O. */
export * from './backtest.ts';
export * from './dates.ts';
export * from './delayguard.ts';
export * from './denialscope.ts';
export * from './driftwatch.ts';
export * from './evidence.ts';
export * from './findings.ts';
export * from './format.ts';
export * from './interpretation.ts';
export * from './labels.ts';
export * from './money.ts';
export * from './rollups.ts';
export * from './summaries.ts';
