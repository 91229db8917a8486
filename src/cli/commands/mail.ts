import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError, UsageError } from '../../config/errors.ts';
import {
  listMailbox,
  MAILBOX_LIMIT,
  type MailboxMessage,
  mailboxDir,
  mailDestination,
  readMailboxMessage,
} from '../../notify/mail.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';

const DEFAULT_LIMIT = 20;

export const mailCommand: Command = {
  name: 'mail',
  summary: 'List or show the email kept in the local mailbox (EMAIL_BACKEND=mailbox)',
  usage: `Usage: payrixa mail [--limit <n>]
       payrixa mail show <n|id> [--html <file>]

Without SMTP_HOST outside production, Payrixa keeps every email it would send as one JSON
file in DATA_DIR/mailbox (the newest ${MAILBOX_LIMIT} are kept). Nothing here reads real mailboxes.

list (default): the newest messages first: number, time (UTC), recipient, subject.
show <n|id>:    one message: its headers, recipients, subject, attachments (name and size)
                and the text part; <n> is the number shown by the list (1 = newest).
  --limit <n>   how many to list (default ${DEFAULT_LIMIT})
  --html <file> also write the HTML part to <file> (open it in a browser)`,
  async run(args, context) {
    const [first, ...rest] = args;
    if (args.includes('--help') || args.includes('-h')) {
      println(context.io.stdout, mailCommand.usage);
      return 0;
    }
    const config = context.config();
    const { stdout } = context.io;
    if (config.email.backend !== 'mailbox') {
      println(
        stdout,
        `No local mailbox: EMAIL_BACKEND is ${config.email.backend}, so email is ${mailDestination(config)}.`,
      );
      return 0;
    }
    const dir = mailboxDir(config);
    if (first === 'show') return show(rest, dir, context);
    if (first !== undefined && !first.startsWith('-')) {
      throw new UsageError(`Unknown subcommand '${first}'. Run 'payrixa mail --help' for usage.`);
    }
    const { values } = parseFlags('mail', args, { limit: { type: 'string' } });
    const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new UsageError("--limit must be a positive whole number. Run 'payrixa mail --help' for usage.");
    }
    const messages = await listMailbox(dir, limit);
    if (messages.length === 0) {
      println(stdout, `The mailbox ${dir} is empty: no email has been sent yet.`);
      return 0;
    }
    println(stdout, `Mailbox ${dir} (newest first):`);
    messages.forEach((message, index) => {
      const time = message.sentAt.slice(0, 19).replace('T', ' ');
      println(stdout, `${String(index + 1).padStart(3)}  ${time}  ${message.to}  ${message.subject}`);
    });
    println(stdout);
    println(stdout, "Show one with 'payrixa mail show <n>'.");
    return 0;
  },
};

async function show(args: string[], dir: string, context: Parameters<Command['run']>[1]): Promise<number> {
  const { values, positionals } = parseFlags('mail', args, { html: { type: 'string' } }, true);
  const [ref] = positionals;
  if (ref === undefined || positionals.length > 1) {
    throw new UsageError("Give one message number or id. Run 'payrixa mail --help' for usage.");
  }
  let message: MailboxMessage | null;
  if (/^\d+$/.test(ref)) {
    const listed = await listMailbox(dir, Number(ref));
    const id = Number(ref) >= 1 ? listed[Number(ref) - 1]?.id : undefined;
    message = id === undefined ? null : await readMailboxMessage(dir, id);
  } else {
    message = await readMailboxMessage(dir, ref);
  }
  if (!message) throw new AppError('not_found', `No message '${ref}' in the mailbox ${dir}.`, 404);
  const { stdout } = context.io;
  println(stdout, `Id:      ${message.id}`);
  println(stdout, `Date:    ${message.sentAt}`);
  println(stdout, `From:    ${message.from}`);
  println(stdout, `To:      ${message.to}`);
  if (message.cc) println(stdout, `Cc:      ${message.cc}`);
  println(stdout, `Subject: ${message.subject}`);
  for (const [name, value] of Object.entries(message.headers)) println(stdout, `${name}: ${value}`);
  for (const attachment of message.attachments) {
    println(
      stdout,
      `Attachment: ${attachment.filename} (${attachment.contentType}, ${attachment.size} bytes)`,
    );
  }
  println(stdout);
  println(stdout, message.text);
  if (values.html !== undefined) {
    const target = path.resolve(values.html);
    await writeFile(target, message.html);
    println(stdout);
    println(stdout, `HTML part written to ${target}`);
  }
  return 0;
}
