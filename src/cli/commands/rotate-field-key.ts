import { rotateFieldKey } from '../../commands/rotate-field-key.ts';
import { UsageError } from '../../config/errors.ts';
import { fieldEncryptionKeys } from '../../config/field-key.ts';
import { createDatabase } from '../../db/database.ts';
import { type Command, parseFlags } from '../context.ts';
import { println } from '../io.ts';
import { resolveCustomer } from './analytics-shared.ts';

const number = new Intl.NumberFormat('en-US');

export const rotateFieldKeyCommand: Command = {
  name: 'rotate-field-key',
  summary: 'Re-encrypt stored claim numbers under the current FIELD_ENCRYPTION_KEY',
  usage: `Usage: payrixa rotate-field-key [--customer <id|name>] [--batch-size <n>]

Re-encrypts stored claim numbers under the current FIELD_ENCRYPTION_KEY, reading old ones
with FIELD_ENCRYPTION_KEY_FALLBACKS, and recomputes their keyed hashes and identity keys;
re-seals notification secrets (Slack URLs, webhook secrets) too. One customer at a time
under its ingestion lock, in batches that each commit: a run that is cut off resumes by
running it again (rows already under the current key are skipped). Claim numbers no
configured key decrypts are counted and reported; the run continues and exits 1.
Records audit field_key_rotated. See docs/OPERATIONS.md "Key rotation".

Options:
  --customer <id|name>   only this customer (default: every customer)
  --batch-size <n>       rows per transaction (default 5000)`,
  async run(args, context) {
    const { values } = parseFlags('rotate-field-key', args, {
      customer: { type: 'string' },
      'batch-size': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      println(context.io.stdout, rotateFieldKeyCommand.usage);
      return 0;
    }
    const batchSize = values['batch-size'] === undefined ? 5_000 : Number(values['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw new UsageError(
        "--batch-size must be an integer from 1 to 10000. Run 'payrixa rotate-field-key --help' for usage.",
      );
    }
    const config = context.config();
    const keys = fieldEncryptionKeys(config);
    const database = await createDatabase(config, { embedded: { role: 'rotate-field-key' } });
    try {
      const db = database.db;
      const customer =
        values.customer === undefined ? null : await resolveCustomer(db, values.customer, 'rotate-field-key');
      const out = context.io.stdout;
      if (keys.fallbacks.length === 0) {
        println(
          out,
          'No FIELD_ENCRYPTION_KEY_FALLBACKS configured: only checking that every claim number is under the current key.',
        );
      }
      const result = await rotateFieldKey(
        {
          db,
          keys,
          batchSize,
          onProgress: (p) =>
            println(
              out,
              `Customer ${p.customerId} (${p.name}): ${number.format(p.checked)} / ${number.format(p.total)} claim numbers checked, ${number.format(p.reencrypted)} re-encrypted`,
            ),
        },
        { customerId: customer?.id ?? null },
      );
      for (const r of result.customers) {
        const problems = [
          r.undecryptable > 0
            ? `${number.format(r.undecryptable)} not decryptable with any configured key`
            : null,
          r.conflicts > 0 ? `${number.format(r.conflicts)} identity conflicts` : null,
          r.secretsUndecryptable > 0
            ? `${r.secretsUndecryptable} notification secrets not decryptable`
            : null,
        ].filter((p) => p !== null);
        println(
          out,
          `Customer ${r.customerId} (${r.name}): ${number.format(r.reencrypted)} re-encrypted, ${number.format(r.alreadyCurrent)} already under the current key, ${r.secretsResealed} notification secrets re-sealed${problems.length > 0 ? `; ${problems.join(', ')}` : ''}`,
        );
      }
      println(
        out,
        `Total: ${number.format(result.reencrypted)} claim numbers re-encrypted, ${number.format(result.alreadyCurrent)} already current, ${number.format(result.undecryptable)} not decryptable, ${number.format(result.conflicts)} identity conflicts, ${result.secretsResealed} notification secrets re-sealed (${result.customers.length} customers).`,
      );
      if (!result.complete) {
        println(
          context.io.stderr,
          'Error: some values are not under the current key (see above); keep FIELD_ENCRYPTION_KEY_FALLBACKS until they are resolved.',
        );
        return 1;
      }
      return 0;
    } finally {
      await database.close();
    }
  },
};
