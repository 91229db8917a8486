import { uploadClaimsFile } from '../src/commands/upload-claims-file.ts';
import { findUpload, type UploadRecord } from '../src/db/repositories/uploads.repository.ts';
import { type AccountFixtures, createAccountFixtures } from './accounts.ts';
import { csv } from './ingestion.ts';
import { createTestServices, type TestServices } from './services.ts';
import { waitFor } from './wait.ts';

/**
 * Claims-browser fixtures: the §8 accounts plus claims ingested through the real upload
 * command and ingest job. Customer A: PayerOne 3 PAID + 2 DENIED, PayerTwo 3 DENIED (web-api-ops
 * §8 #43); customer B: one claim.
 */

export const CLAIMS_HEADER =
  'claim_id,payer,cpt,submitted_date,decided_date,outcome,allowed_amount,paid_amount,denial_reason_code,denial_reason_text';

export const CLAIMS_A = [
  'CLM-1001,PayerOne,99213,2024-01-02,2024-01-10,PAID,100.00,80.00,,',
  'CLM-1002,PayerOne,99214,2024-01-03,2024-01-11,PAID,150.5,120,,',
  'CLM-1003,PayerOne,36415,2024-01-04,2024-01-12,PAID,20,20,,',
  'CLM-1004,PayerOne,99213,2024-01-05,2024-01-13,DENIED,,,CO-197,',
  'CLM-1005,PayerOne,99213,2024-01-06,2024-01-14,DENIED,,,CO-16,',
  'CLM-2001,PayerTwo,99215,2024-02-01,2024-02-10,DENIED,200,,CO-197,-Auth missing',
  'CLM-2002,PayerTwo,99215,2024-02-02,2024-02-11,DENIED,,,CO-50,',
  'CLM-2003,PayerTwo,36415,2024-02-03,2024-02-12,DENIED,,,CO-197,',
];

export const CLAIMS_B = ['CLM-9001,PayerB,99213,2024-01-02,2024-01-10,PAID,50,50,,'];

export interface ClaimsFixtures {
  services: TestServices;
  fx: AccountFixtures;
  uploadA: UploadRecord;
  uploadB: UploadRecord;
}

async function ingest(
  services: TestServices,
  customerId: number,
  name: string,
  rows: string[],
): Promise<UploadRecord> {
  const { upload } = await uploadClaimsFile(services, {
    customerId,
    filename: name,
    body: Buffer.from(csv(CLAIMS_HEADER, rows), 'utf8'),
    source: 'api',
  });
  return waitFor(async () => {
    const record = await findUpload(services.database.db, customerId, upload.id);
    return record && ['success', 'partial', 'failed'].includes(record.status) ? record : null;
  }, 120_000);
}

export async function createClaimsFixtures(env: Record<string, string> = {}): Promise<ClaimsFixtures> {
  const services = await createTestServices({
    env: {
      PORTAL_RATE_LIMIT: '10000/minute',
      API_THROTTLE_USER: '100000/hour',
      API_THROTTLE_ANON: '100000/hour',
      EMAIL_BACKEND: 'memory',
      ...env,
    },
  });
  await services.startJobs({ queues: ['ingest'], scheduler: false });
  const fx = await createAccountFixtures(services.database.db);
  const uploadA = await ingest(services, fx.customerA.id, 'a.csv', CLAIMS_A);
  const uploadB = await ingest(services, fx.customerB.id, 'b.csv', CLAIMS_B);
  return { services, fx, uploadA, uploadB };
}
