/**
 * Synthetic claims for demos and tests (ingestion spec §7): a seeded, deterministic generator of
 * CSV files in the 16-column template with planted scenarios and dirty rows, plus its manifest.
 */
export * from './catalog.ts';
export * from './generator.ts';
export * from './options.ts';
export * from './scenarios.ts';
