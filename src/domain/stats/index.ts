/** Shared statistics of analytics §4 (pure functions, no I/O). */

export * from './attainable.ts';
export * from './benjamini-hochberg.ts';
export * from './distributions.ts';
export * from './dollar-rate.ts';
export * from './histogram.ts';
export * from './mann-whitney.ts';
export * from './numeric.ts';
export * from './poisson-rate.ts';
export * from './two-proportion.ts';
export * from './welch-t.ts';
