import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../config/env.ts';

/** A file attached to an email (e.g. the weekly PDF, alerts-reports §7). */
export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

/** One outgoing email (text and HTML bodies). */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  cc?: string;
  /** Extra headers (e.g. X-Payrixa-Alert-Id, X-Request-Id). */
  headers?: Record<string, string>;
  attachments?: MailAttachment[];
}

/**
 * The mail port (EMAIL_BACKEND): SMTP through nodemailer, `mailbox` (outside production
 * without SMTP: one JSON file per email under DATA_DIR/mailbox, read with `payrixa mail`),
 * `log` (the email is written to the log), `memory` (tests: kept in `outbox`).
 */
export interface Mailer {
  readonly kind: 'smtp' | 'mailbox' | 'log' | 'memory';
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
  /** Memory backend only: messages sent so far. */
  readonly outbox: MailMessage[];
}

/** The local mailbox directory (EMAIL_BACKEND=mailbox). */
export function mailboxDir(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'mailbox');
}

/** How many messages the mailbox keeps; older files are deleted after each write. */
export const MAILBOX_LIMIT = 500;

/** One stored mailbox message: the envelope and bodies, attachments by name and size only. */
export interface MailboxMessage {
  id: string;
  sentAt: string;
  from: string;
  to: string;
  cc: string | null;
  subject: string;
  headers: Record<string, string>;
  text: string;
  html: string;
  attachments: Array<{ filename: string; contentType: string; size: number }>;
}

export type MailboxSummary = Pick<MailboxMessage, 'id' | 'sentAt' | 'to' | 'subject'>;

// `<UTC time to the millisecond>-<random>`: names sort in sending order; the random part keeps
// messages written by two threads in the same millisecond apart.
const MAILBOX_FILE = /^(\d{8}T\d{9}Z-[0-9a-f]{8})\.json$/;

function mailboxId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/** Message ids in the mailbox, oldest first (empty when the directory does not exist). */
async function mailboxIds(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .map((name) => MAILBOX_FILE.exec(name)?.[1])
    .filter((id): id is string => id !== undefined)
    .sort();
}

/**
 * Writes one message to the mailbox and deletes the oldest beyond `limit`. The file appears
 * complete or not at all (written under a temporary name, then renamed), so the web process
 * and job threads can write and read the directory at the same time.
 */
export async function writeMailboxMessage(
  dir: string,
  message: MailMessage,
  options: { from: string; now: Date; limit?: number },
): Promise<MailboxMessage> {
  const stored: MailboxMessage = {
    id: mailboxId(options.now),
    sentAt: options.now.toISOString(),
    from: options.from,
    to: message.to,
    cc: message.cc ?? null,
    subject: message.subject,
    headers: message.headers ?? {},
    text: message.text,
    html: message.html,
    attachments: (message.attachments ?? []).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      size: a.content.length,
    })),
  };
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${stored.id}.json`);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
  const ids = await mailboxIds(dir);
  const excess = ids.length - (options.limit ?? MAILBOX_LIMIT);
  // Another writer may prune the same files at the same moment: `force` ignores the missing ones.
  for (const id of ids.slice(0, Math.max(0, excess))) await rm(path.join(dir, `${id}.json`), { force: true });
  return stored;
}

/**
 * Deletes every message of the mailbox (`payrixa demo --reset`, so the mailbox matches the fresh
 * demo) and returns how many. Only message files go; anything else in the directory stays.
 */
export async function clearMailbox(dir: string): Promise<number> {
  const ids = await mailboxIds(dir);
  for (const id of ids) await rm(path.join(dir, `${id}.json`), { force: true });
  return ids.length;
}

/** The newest messages first (at most `limit`). */
export async function listMailbox(dir: string, limit = MAILBOX_LIMIT): Promise<MailboxSummary[]> {
  const ids = (await mailboxIds(dir)).reverse().slice(0, limit);
  const out: MailboxSummary[] = [];
  for (const id of ids) {
    const message = await readMailboxMessage(dir, id);
    if (message)
      out.push({ id: message.id, sentAt: message.sentAt, to: message.to, subject: message.subject });
  }
  return out;
}

/** One message by id, or null (unknown id, or pruned meanwhile). */
export async function readMailboxMessage(dir: string, id: string): Promise<MailboxMessage | null> {
  if (!MAILBOX_FILE.test(`${id}.json`)) return null;
  try {
    return JSON.parse(await readFile(path.join(dir, `${id}.json`), 'utf8')) as MailboxMessage;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Where this installation's email goes, for people looking for it (CLI and demo output). */
export function mailDestination(config: Pick<Config, 'dataDir' | 'email'>): string {
  switch (config.email.backend) {
    case 'mailbox':
      return `kept in the local mailbox ${mailboxDir(config)} (list it with 'payrixa mail')`;
    case 'log':
      return 'written to the log, not sent (EMAIL_BACKEND=log)';
    case 'memory':
      return 'kept in memory and discarded (EMAIL_BACKEND=memory, tests only)';
    case 'smtp':
      return `sent through SMTP ${config.email.smtpHost}:${config.email.smtpPort}`;
  }
}

export function createMailer(config: Config, logger: Logger, options: { now?: () => Date } = {}): Mailer {
  const { email } = config;
  const now = options.now ?? (() => new Date());
  if (email.backend === 'mailbox') {
    const dir = mailboxDir(config);
    return {
      kind: 'mailbox',
      outbox: [],
      async send(message) {
        const stored = await writeMailboxMessage(dir, message, { from: email.from, now: now() });
        logger.info(
          { email: { to: message.to, subject: message.subject, mailbox: stored.id } },
          'email (mailbox)',
        );
      },
      async close() {},
    };
  }
  if (email.backend === 'memory') {
    const outbox: MailMessage[] = [];
    return {
      kind: 'memory',
      outbox,
      async send(message) {
        outbox.push(message);
      },
      async close() {},
    };
  }
  if (email.backend === 'log' || !email.smtpHost) {
    return {
      kind: 'log',
      outbox: [],
      async send(message) {
        // The body may carry a reset link: log it only outside production (dev convenience).
        logger.info(
          {
            email: {
              to: message.to,
              subject: message.subject,
              ...(message.attachments?.length && {
                attachments: message.attachments.map((a) => a.filename),
              }),
              ...(config.isProduction ? {} : { body: message.text }),
            },
          },
          'email (log backend)',
        );
      },
      async close() {},
    };
  }
  const transport: Transporter = nodemailer.createTransport({
    host: email.smtpHost,
    port: email.smtpPort,
    secure: email.smtpSecurity === 'tls',
    requireTLS: email.smtpSecurity === 'starttls',
    ignoreTLS: email.smtpSecurity === 'none',
    ...(email.smtpUser ? { auth: { user: email.smtpUser, pass: email.smtpPassword ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    kind: 'smtp',
    outbox: [],
    async send(message) {
      await transport.sendMail({
        from: email.from,
        to: message.to,
        ...(message.cc ? { cc: message.cc } : {}),
        subject: message.subject,
        text: message.text,
        html: message.html,
        ...(message.headers && { headers: message.headers }),
        ...(message.attachments && {
          attachments: message.attachments.map((a) => ({
            filename: a.filename,
            content: a.content,
            contentType: a.contentType,
          })),
        }),
      });
    },
    async close() {
      transport.close();
    },
  };
}
