import { defineConfig } from 'vitest/config';

/**
 * Three tiers, selectable with `--project`:
 * - unit: pure tests (`*.test.ts`), no database or server;
 * - int: `*.int.test.ts`, against PGlite by default, PostgreSQL/Redis when
 *   TEST_DATABASE_URL / TEST_REDIS_URL are set (CI runs this tier twice);
 * - e2e: browser tests in e2e/ driving Debian chromium;
 * - ops: operations checks in ops/ (nginx in front of the app, backup/restore with the
 *   PostgreSQL tools, several processes on PostgreSQL + Redis). They need services and
 *   root-level tools, so they skip unless OPS_TESTS=1; `.ci/run` runs them in their own step.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'node_modules/**'],
          environment: 'node',
          // A hang guard, not a speed assertion: a few domain tests replay a year of claims.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'int',
          sequence: { groupOrder: 1 },
          include: ['src/**/*.int.test.ts', 'test/**/*.int.test.ts', 'bench/**/*.int.test.ts'],
          environment: 'node',
          // A hang guard: CLI tests start an embedded database (a thread and PGlite) per command.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Each file brings up its own database; two cores do not profit from more.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'e2e',
          sequence: { groupOrder: 2 },
          include: ['e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'ops',
          sequence: { groupOrder: 3 },
          include: ['ops/**/*.ops.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // Each file starts processes and services of its own; one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
