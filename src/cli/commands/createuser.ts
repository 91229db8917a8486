import { createAccount } from '../../commands/create-account.ts';
import { issueResetToken, resetEmail } from '../../commands/password-reset.ts';
import { AppError, UsageError } from '../../config/errors.ts';
import { createDatabase } from '../../db/database.ts';
import { findCustomerById, findCustomerByName } from '../../db/repositories/customers.repository.ts';
import { validatePassword } from '../../domain/accounts/passwords.ts';
import { DEFAULT_ROLE, parseRole, ROLES } from '../../domain/accounts/permissions.ts';
import { createMailer } from '../../notify/mail.ts';
import { recordAudit } from '../../obs/audit.ts';
import { createLogger } from '../../obs/logger.ts';
import { type Command, parseFlags } from '../context.ts';
import { Prompter, println } from '../io.ts';

export const createuserCommand: Command = {
  name: 'createuser',
  summary: 'Create a customer user or a staff user',
  usage: `Usage: payrixa createuser --username <u> --email <e>
         (--customer <id|name> [--role owner|admin|analyst|viewer] | --staff)
         [--password-stdin | --send-invite]

Role defaults to viewer. Without a password option the password is prompted twice.
--password-stdin reads it from the first line of standard input; --send-invite emails a
set-password link valid 72 hours instead of setting one.`,
  async run(args, context) {
    const { values } = parseFlags('createuser', args, {
      username: { type: 'string' },
      email: { type: 'string' },
      customer: { type: 'string' },
      role: { type: 'string' },
      staff: { type: 'boolean' },
      'password-stdin': { type: 'boolean' },
      'send-invite': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, createuserCommand.usage);
      return 0;
    }
    const usage = (message: string) =>
      new UsageError(`${message} Run 'payrixa createuser --help' for usage.`);
    if (!values.username || !values.email) throw usage('--username and --email are required.');
    if (Boolean(values.staff) === Boolean(values.customer))
      throw usage('Give exactly one of --customer and --staff.');
    if (values.staff && values.role) throw usage('--role applies to customer users only.');
    if (values['password-stdin'] && values['send-invite'])
      throw usage('Give at most one of --password-stdin and --send-invite.');
    const role = values.role === undefined ? DEFAULT_ROLE : parseRole(values.role);
    if (!role) throw usage(`--role must be one of ${ROLES.join(', ')}.`);

    const { io } = context;
    const config = context.config();
    const username = values.username.trim();
    const email = values.email.trim();
    const database = await createDatabase(config, { embedded: { role: 'createuser' } });
    const prompter = values['send-invite'] ? null : new Prompter(io);
    try {
      const db = database.db;
      let customer: { id: number; name: string } | undefined;
      if (values.customer) {
        const ref = values.customer.trim();
        customer = /^\d+$/.test(ref) ? await findCustomerById(db, Number(ref)) : undefined;
        customer ??= await findCustomerByName(db, ref);
        if (!customer) throw new AppError('not_found', `Customer '${ref}' not found.`, 404);
      }

      let password: string | null = null;
      if (values['password-stdin']) {
        password = (await prompter!.ask('')) ?? '';
        if (!password) throw new AppError('invalid', 'No password on standard input.');
        const problems = validatePassword(password, { username, email });
        if (problems.length > 0) throw new AppError('invalid', problems.join(' '));
      } else if (!values['send-invite']) {
        for (;;) {
          const first = await prompter!.ask('Password: ', { hidden: true });
          const again = first === null ? null : await prompter!.ask('Password (again): ', { hidden: true });
          if (first === null || again === null)
            throw new AppError('aborted', 'Input ended; no user was created.');
          if (first !== again) {
            println(io.stderr, "Error: Your passwords didn't match.");
            continue;
          }
          const problems = validatePassword(first, { username, email });
          if (problems.length === 0) {
            password = first;
            break;
          }
          for (const problem of problems) println(io.stderr, problem);
        }
      }

      const now = new Date();
      const { user, token } = await db.transaction().execute(async (trx) => {
        const created = await createAccount(trx, {
          username,
          email,
          password,
          isStaff: Boolean(values.staff),
          membership: customer ? { customerId: customer.id, role } : null,
        });
        await recordAudit(trx, {
          action: values.staff ? 'staff_created' : 'user_created',
          customerId: customer?.id ?? null,
          entityType: 'user',
          entityId: created.id,
          metadata: { username: created.username, via: 'cli', ...(customer ? { role } : {}) },
        });
        const invite = values['send-invite'] ? await issueResetToken(trx, created.id, 'invite', now) : null;
        return { user: created, token: invite };
      });
      if (token) {
        const mailer = createMailer(config, createLogger(config, 'cli'));
        try {
          await mailer.send(resetEmail(config, user, token, 'invite'));
        } finally {
          await mailer.close();
        }
      }
      println(
        io.stdout,
        customer
          ? `User '${user.username}' created (customer '${customer.name}', role ${role}).`
          : `Staff user '${user.username}' created.`,
      );
      return 0;
    } finally {
      prompter?.close();
      await database.close();
    }
  },
};
