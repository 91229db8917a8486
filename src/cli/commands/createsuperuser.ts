import { AppError, UsageError } from '../../config/errors.ts';
import { createDatabase } from '../../db/database.ts';
import {
  findActiveUserByEmail,
  findUserByUsername,
  insertUser,
} from '../../db/repositories/users.repository.ts';
import { hashPassword, validatePassword, validateUsername } from '../../domain/accounts/passwords.ts';
import { recordAudit } from '../../obs/audit.ts';
import { type Command, parseFlags } from '../context.ts';
import { Prompter, println } from '../io.ts';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const createsuperuserCommand: Command = {
  name: 'createsuperuser',
  summary: 'Create a platform superuser (staff, no customer)',
  usage: `Usage: payrixa createsuperuser [--username <u>] [--email <e>] [--no-input]

Prompts for username (default 'admin'), email and password (twice; never echoed).
With --no-input, --username and --email are required and the password is read from
the environment variable PAYRIXA_SUPERUSER_PASSWORD.`,
  async run(args, context) {
    const { values } = parseFlags('createsuperuser', args, {
      username: { type: 'string' },
      email: { type: 'string' },
      'no-input': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, createsuperuserCommand.usage);
      return 0;
    }
    const { io } = context;
    const noInput = values['no-input'] ?? false;
    if (noInput && (!values.username || !values.email)) {
      throw new UsageError(
        "--no-input needs --username and --email. Run 'payrixa createsuperuser --help' for usage.",
      );
    }
    const config = context.config();
    const database = await createDatabase(config, { embedded: { role: 'createsuperuser' } });
    const prompter = noInput ? null : new Prompter(io);
    try {
      const db = database.db;
      const ask = async (question: string, hidden = false): Promise<string> => {
        const answer = await prompter!.ask(question, { hidden });
        if (answer === null) throw new AppError('aborted', 'Input ended; no user was created.');
        // Passwords are taken as typed; other answers are trimmed.
        return hidden ? answer : answer.trim();
      };

      // Username
      let username = values.username?.trim() ?? '';
      for (;;) {
        if (!noInput && !values.username)
          username = (await ask("Username (leave blank to use 'admin'): ")) || 'admin';
        const problem =
          validateUsername(username) ??
          ((await findUserByUsername(db, username)) ? 'That username is already taken.' : null);
        if (!problem) break;
        if (noInput || values.username) throw new AppError('invalid', problem);
        println(io.stderr, `Error: ${problem}`);
      }

      // Email
      let email = values.email?.trim() ?? '';
      for (;;) {
        if (!noInput && !values.email) email = await ask('Email address: ');
        let problem: string | null = null;
        if (!EMAIL_PATTERN.test(email)) problem = 'Enter a valid email address.';
        else if (await findActiveUserByEmail(db, email)) problem = 'A user with that email already exists.';
        if (!problem) break;
        if (noInput || values.email) throw new AppError('invalid', problem);
        println(io.stderr, `Error: ${problem}`);
      }

      // Password
      let password: string;
      if (noInput) {
        password = io.env['PAYRIXA_SUPERUSER_PASSWORD'] ?? '';
        if (!password)
          throw new AppError('invalid', 'PAYRIXA_SUPERUSER_PASSWORD is not set (needed with --no-input).');
        const problems = validatePassword(password, { username, email });
        if (problems.length > 0) throw new AppError('invalid', problems.join(' '));
      } else {
        for (;;) {
          password = await ask('Password: ', true);
          const again = await ask('Password (again): ', true);
          if (password !== again) {
            println(io.stderr, "Error: Your passwords didn't match.");
            continue;
          }
          const problems = validatePassword(password, { username, email });
          if (problems.length === 0) break;
          for (const problem of problems) println(io.stderr, problem);
        }
      }

      const passwordHash = await hashPassword(password);
      await db.transaction().execute(async (trx) => {
        const user = await insertUser(trx, {
          username,
          email,
          passwordHash,
          isStaff: true,
          isSuperuser: true,
        });
        await recordAudit(trx, {
          action: 'staff_created',
          userId: null,
          entityType: 'user',
          entityId: user.id,
          metadata: { username, superuser: true, via: 'cli' },
        });
      });
      println(io.stdout, 'Superuser created successfully.');
      return 0;
    } finally {
      prompter?.close();
      await database.close();
    }
  },
};
