/** Shared schema building blocks for routes: import from here. */
export * from './forms.ts';
export * from './operation.ts';
export * from './pagination.ts';
export * from './primitives.ts';
export * from './problems.ts';
