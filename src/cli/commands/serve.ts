import cluster from 'node:cluster';
import { parseBind } from '../../config/env.ts';
import { AppError, UsageError } from '../../config/errors.ts';
import { createDatabase } from '../../db/database.ts';
import { createLogger } from '../../obs/logger.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';
import { startServer, stopOnSignals } from '../serve.ts';
import { refuseInsecureProduction } from './startup.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Start the web server (embedded mode also runs jobs and schedules)',
  usage: `Usage: payrixa serve [--bind <host:port|unix:path>] [--workers <n>]

Starts the web portal and API on BIND (default 127.0.0.1:8000, or 127.0.0.1:$PORT).
Without REDIS_URL the same process runs background jobs and the scheduler. SIGTERM
stops gracefully: no new requests, in-flight requests and jobs get 30 s to finish.

Options:
  --bind <addr>    listen address, overrides BIND/PORT
  --workers <n>    web worker processes (needs DATABASE_URL; default WEB_CONCURRENCY)`,
  async run(args, context) {
    const { values } = parseFlags('serve', args, {
      bind: { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, serveCommand.usage);
      return 0;
    }
    const config = context.config();
    if (values.bind !== undefined) {
      const bind = parseBind(values.bind);
      if (!bind) throw new UsageError(`--bind: '${values.bind}' is not host:port or unix:<path>.`);
      config.bind = bind;
    }
    let workers = config.databaseUrl ? config.webConcurrency : 1;
    if (values.workers !== undefined) {
      if (!/^\d+$/.test(values.workers) || Number(values.workers) < 1) {
        throw new UsageError(`--workers: '${values.workers}' is not a positive whole number.`);
      }
      workers = Number(values.workers);
      if (workers > 1 && !config.databaseUrl) {
        throw new AppError(
          'embedded_single_process',
          'The embedded database supports a single process; set DATABASE_URL to run several workers.',
        );
      }
    }
    // When started without --workers in development, one process is friendlier to debug.
    if (values.workers === undefined && !config.isProduction) workers = 1;

    if (cluster.isPrimary && config.isProduction) {
      const database = await createDatabase(config);
      try {
        if (await refuseInsecureProduction(config, context.io, { database, migrations: true })) return 1;
      } finally {
        await database.close();
      }
    }
    if (workers > 1 && cluster.isPrimary) return runPrimary(workers, context.io.stdout);

    const logger = createLogger(config, 'payrixa');
    const server = await startServer(config, logger);
    if (cluster.isPrimary) {
      println(context.io.stdout, `Payrixa ${config.version} is running at ${server.url}`);
      println(context.io.stdout, `Database: ${server.services.database.description}`);
      println(context.io.stdout, 'Press Ctrl+C to stop.');
    }
    await stopOnSignals(() => server.stop(), logger);
    return 0;
  },
};

/** Primary of `serve --workers N`: forks the web workers and stops them on SIGTERM. */
async function runPrimary(workers: number, stdout: NodeJS.WritableStream): Promise<number> {
  for (let index = 0; index < workers; index++) cluster.fork();
  stdout.write(`Payrixa primary ${process.pid} started ${workers} web workers.\n`);
  let stopping = false;
  cluster.on('exit', (worker, code) => {
    if (!stopping) {
      stdout.write(`Web worker ${worker.process.pid} exited (${code}); starting a replacement.\n`);
      cluster.fork();
    }
  });
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      const check = setInterval(() => {
        if (Object.keys(cluster.workers ?? {}).length === 0) {
          clearInterval(check);
          resolve();
        }
      }, 100);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return 0;
}
