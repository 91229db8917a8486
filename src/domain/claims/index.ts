/**
 * Public surface of the ingestion domain (pure, no I/O). Import from here in commands, the
 * ingest readers and the HTTP layer; `sanitize` is also importable from './sanitize.ts' directly
 * (the logger depends on nothing else).
 */
export * from './claim-id.ts';
export * from './columns.ts';
export * from './file-errors.ts';
export * from './headers.ts';
export * from './identity.ts';
export * from './messages.ts';
export * from './normalize.ts';
export * from './phi.ts';
export * from './pipeline.ts';
export * from './sanitize.ts';
export * from './types.ts';
export * from './values.ts';
