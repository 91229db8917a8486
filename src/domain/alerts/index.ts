/** Alerting domain (alerts-reports §2–§6): rule matching, suppression, routing, retries. Pure. */
export * from './delivery.ts';
export * from './retry.ts';
export * from './rules.ts';
export * from './suppression.ts';
