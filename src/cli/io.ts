import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** Where a command reads and writes; tests pass their own. */
export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  env: Record<string, string | undefined>;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

export function println(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}

/**
 * Line-oriented prompts. On a terminal, hidden prompts (passwords) echo nothing; from a
 * pipe, lines are read in order (scripted use and tests).
 */
export class Prompter {
  private readonly lines: string[] = [];
  private readonly waiters: Array<(line: string | null) => void> = [];
  private ended = false;
  private readonly rl;
  private muted = false;

  constructor(private readonly io: CliIO) {
    const output = io.stdin.isTTY ? io.stdout : undefined;
    this.rl = createInterface({
      input: io.stdin,
      ...(output && { output }),
      terminal: Boolean(io.stdin.isTTY),
    });
    // Hidden input: swallow readline's echo while muted.
    const rlWithOutput = this.rl as unknown as { _writeToOutput?: (text: string) => void };
    if (io.stdin.isTTY && rlWithOutput._writeToOutput) {
      const original = rlWithOutput._writeToOutput.bind(this.rl);
      rlWithOutput._writeToOutput = (text: string) => {
        if (!this.muted) original(text);
      };
    }
    this.rl.on('line', (line) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(line);
      else this.lines.push(line);
    });
    this.rl.on('close', () => {
      this.ended = true;
      for (const waiter of this.waiters.splice(0)) waiter(null);
    });
  }

  /** Asks a question; null when input ended. */
  async ask(question: string, options: { hidden?: boolean } = {}): Promise<string | null> {
    this.io.stdout.write(question);
    this.muted = options.hidden === true;
    const line = await this.nextLine();
    this.muted = false;
    if (options.hidden && this.io.stdin.isTTY) this.io.stdout.write('\n');
    return line;
  }

  private nextLine(): Promise<string | null> {
    const buffered = this.lines.shift();
    if (buffered !== undefined) return Promise.resolve(buffered);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.rl.close();
  }
}
