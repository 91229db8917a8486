import type { Kysely } from 'kysely';
import type { UploadRecord } from '../db/repositories/uploads.repository.ts';
import { usernamesByIds } from '../db/repositories/users.repository.ts';
import type { DB } from '../db/schema.ts';

/**
 * Who sent each upload of a page, for the "Uploaded by" column: users by username, ingestion
 * tokens as "API token <name>". Keys are `u<userId>` / `t<tokenId>` so one map serves both
 * kinds. Two queries for the whole page (not one per row); tokens are read within the
 * customer, so a token id of another tenant can never lend its name.
 */
export async function uploaderNames(
  db: Kysely<DB>,
  customerId: number,
  uploads: readonly Pick<UploadRecord, 'uploaded_by' | 'token_id'>[],
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const userIds = [...new Set(uploads.map((u) => u.uploaded_by).filter((id): id is number => id !== null))];
  const tokenIds = [...new Set(uploads.map((u) => u.token_id).filter((id): id is number => id !== null))];
  for (const [id, username] of await usernamesByIds(db, userIds)) names.set(`u${id}`, username);
  if (tokenIds.length) {
    const rows = await db
      .selectFrom('ingestion_tokens')
      .select(['id', 'name'])
      .where('customer_id', '=', customerId)
      .where('id', 'in', tokenIds)
      .execute();
    for (const row of rows) names.set(`t${row.id}`, `API token ${row.name}`);
  }
  return names;
}
