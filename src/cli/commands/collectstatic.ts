import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { STATIC_DIR } from '../../http/app.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';

function countFiles(dir: string): number {
  let count = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    count += entry.isDirectory() ? countFiles(path.join(dir, entry.name)) : 1;
  }
  return count;
}

export const collectstaticCommand: Command = {
  name: 'collectstatic',
  summary: 'Copy CSS, JS and images to STATIC_ROOT for nginx',
  usage: `Usage: payrixa collectstatic [--dest <dir>]

Copies the built static assets to STATIC_ROOT (or --dest), where nginx serves /static/.`,
  async run(args, context) {
    const { values } = parseFlags('collectstatic', args, {
      dest: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, collectstaticCommand.usage);
      return 0;
    }
    const dest = path.resolve(values.dest ?? context.config().staticRoot);
    mkdirSync(dest, { recursive: true });
    cpSync(STATIC_DIR, dest, { recursive: true, force: true });
    println(context.io.stdout, `${countFiles(STATIC_DIR)} static files copied to ${dest}.`);
    return 0;
  },
};
