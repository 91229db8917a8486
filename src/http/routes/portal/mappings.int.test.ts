import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggedInClient, type PortalClient } from '../../../../test/accounts.ts';
import { type ClaimsFixtures, createClaimsFixtures } from '../../../../test/claims.ts';
import { waitFor } from '../../../../test/wait.ts';
import { listClaimsOfUpload } from '../../../db/repositories/claims.repository.ts';
import { insertColumnMappingProfile } from '../../../db/repositories/mappings.repository.ts';
import { buildApp } from '../../app.ts';

let fixtures: ClaimsFixtures;
let app: FastifyInstance;

beforeAll(async () => {
  fixtures = await createClaimsFixtures();
  app = await buildApp(fixtures.services);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await fixtures?.services.dispose();
});

const client = (username: string): Promise<PortalClient> => loggedInClient(app, username);

async function auditActions(): Promise<string[]> {
  const rows = await fixtures.services.database.db
    .selectFrom('audit_events')
    .select('action')
    .where('customer_id', '=', fixtures.fx.customerA.id)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.action);
}

describe('/portal/mappings/', () => {
  it('is open to owner/admin/analyst and acting staff, 403 for viewers', async () => {
    for (const user of ['owner_a', 'admin_a', 'analyst_a']) {
      const response = await (await client(user)).get('/portal/mappings/');
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('Manage payer and CPT code mappings for data normalization');
      expect(response.body).toContain('No payer mappings defined');
      expect(response.body).toContain('No CPT group mappings defined');
    }
    const viewer = await client('viewer_a');
    expect((await viewer.get('/portal/mappings/')).statusCode).toBe(403);
    const post = await viewer.post('/portal/mappings/', {
      action: 'add_payer',
      raw_name: 'X',
      normalized_name: 'Y',
    });
    expect(post.statusCode).toBe(403);
    const staff = await client('operator1');
    expect((await staff.get('/portal/mappings/')).statusCode).toBe(302);
  });

  it('adds, rejects duplicates of and deletes payer and CPT mappings with audit events', async () => {
    const c = await client('analyst_a');
    const added = await c.post('/portal/mappings/', {
      action: 'add_payer',
      raw_name: ' PayerOne ',
      normalized_name: 'Payer One Health',
    });
    expect(added.statusCode).toBe(302);
    let page = await c.get('/portal/mappings/');
    expect(page.body).toContain('Payer mapping added successfully');
    expect(page.body).toContain(
      'Mappings changed. Stored claims keep their old names until you re-apply mappings.',
    );
    expect(page.body).toContain('<td>PayerOne</td><td>Payer One Health</td>');
    await c.post('/portal/mappings/', { action: 'add_payer', raw_name: 'payerone', normalized_name: 'Z' });
    page = await c.get('/portal/mappings/');
    expect(page.body).toContain('Mapping for &#39;payerone&#39; already exists');
    await c.post('/portal/mappings/', { action: 'add_payer', raw_name: '', normalized_name: 'Z' });
    expect((await c.get('/portal/mappings/')).body).toContain(
      'Both raw name and normalized name are required',
    );

    await c.post('/portal/mappings/', {
      action: 'add_cpt',
      cpt_code: '99213-25',
      cpt_group: 'Office Visits',
    });
    page = await c.get('/portal/mappings/');
    expect(page.body).toContain('CPT group mapping added successfully');
    expect(page.body).toContain('<td>99213</td><td>Office Visits</td>');
    await c.post('/portal/mappings/', { action: 'add_cpt', cpt_code: '99213', cpt_group: 'Again' });
    expect((await c.get('/portal/mappings/')).body).toContain(
      'Mapping for CPT code &#39;99213&#39; already exists',
    );

    await c.post('/portal/mappings/', { action: 'add_cpt', cpt_code: '36415', cpt_group: 'Temp' });
    page = await c.get('/portal/mappings/');
    const cptIds = [
      ...page.body.matchAll(/value="delete_cpt">\s*<input type="hidden" name="mapping_id" value="(\d+)">/g),
    ].map((m) => m[1] as string);
    expect(cptIds).toHaveLength(2);
    await c.post('/portal/mappings/', { action: 'delete_cpt', mapping_id: cptIds[0] as string });
    page = await c.get('/portal/mappings/');
    expect(page.body).toContain('CPT group mapping deleted successfully');
    expect(page.body).not.toContain('<td>36415</td><td>Temp</td>');
    await c.post('/portal/mappings/', { action: 'delete_cpt', mapping_id: '999999' });
    expect((await c.get('/portal/mappings/')).body).toContain('CPT group mapping not found');

    const actions = await auditActions();
    expect(actions.filter((a) => a === 'payer_mapping_created')).toHaveLength(1);
    expect(actions.filter((a) => a === 'cpt_mapping_created')).toHaveLength(2);
    expect(actions.filter((a) => a === 'cpt_mapping_deleted')).toHaveLength(1);
  });

  it('renames and deletes column mapping profiles', async () => {
    const db = fixtures.services.database.db;
    const customerId = fixtures.fx.customerA.id;
    const first = await insertColumnMappingProfile(db, customerId, {
      name: 'Clinic export',
      mapping: { payer: 'Ins' },
    });
    await insertColumnMappingProfile(db, customerId, { name: 'Other', mapping: { payer: 'Carrier' } });
    const c = await client('analyst_a');
    expect((await c.get('/portal/mappings/')).body).toContain('value="Clinic export"');
    await c.post('/portal/mappings/', {
      action: 'rename_profile',
      profile_id: String(first!.id),
      name: 'Other',
    });
    expect((await c.get('/portal/mappings/')).body).toContain(
      'A profile named &#39;Other&#39; already exists',
    );
    await c.post('/portal/mappings/', {
      action: 'rename_profile',
      profile_id: String(first!.id),
      name: 'Billing',
    });
    let page = await c.get('/portal/mappings/');
    expect(page.body).toContain('Column mapping profile renamed');
    expect(page.body).toContain('<td>Billing</td>');
    await c.post('/portal/mappings/', { action: 'delete_profile', profile_id: String(first!.id) });
    page = await c.get('/portal/mappings/');
    expect(page.body).toContain('Column mapping profile deleted');
    expect(page.body).not.toContain('<td>Billing</td>');
    const actions = await auditActions();
    expect(actions).toContain('column_mapping_profile_renamed');
    expect(actions).toContain('column_mapping_profile_deleted');
  });

  it('refuses a POST without CSRF token', async () => {
    const c = await client('owner_a');
    const response = await c.post('/portal/mappings/', { action: 'reapply' }, { csrf: false });
    expect(response.statusCode).toBe(403);
  });

  it('lets only owners/admins change the allow-list', async () => {
    const analyst = await client('analyst_a');
    expect((await analyst.get('/portal/mappings/')).body).not.toContain('value="add_allow"');
    expect(
      (await analyst.post('/portal/mappings/', { action: 'add_allow', name: 'Gary Brown' })).statusCode,
    ).toBe(403);
    const admin = await client('admin_a');
    expect(
      (await admin.post('/portal/mappings/', { action: 'add_allow', name: 'Gary Brown' })).statusCode,
    ).toBe(302);
    const page = await admin.get('/portal/mappings/');
    expect(page.body).toContain('<td>Gary Brown</td>');
    expect(await auditActions()).toContain('payer_allowlist_added');
  });

  it('re-applies mappings in the background (job) and shows the result', async () => {
    const c = await client('owner_a');
    const response = await c.post('/portal/mappings/', { action: 'reapply' });
    expect(response.statusCode).toBe(302);
    expect((await c.get('/portal/mappings/')).body).toContain(
      'Re-applying mappings to stored claims. This runs in the background.',
    );
    const db = fixtures.services.database.db;
    await waitFor(async () => {
      const claims = await listClaimsOfUpload(db, fixtures.fx.customerA.id, fixtures.uploadA.id);
      return claims.filter((cl) => cl.payer === 'Payer One Health').length === 5 ? true : null;
    }, 60_000);
    await waitFor(async () => ((await auditActions()).includes('mappings_reapplied') ? true : null), 30_000);
    const page = await c.get('/portal/mappings/');
    expect(page.body).toContain('Mappings re-applied: 5 claims updated.');
    const claimsPage = await c.get('/portal/claims/?payer=payer%20one%20health');
    expect(claimsPage.body).toContain('<td>Payer One Health</td><td class="num">5</td>');
  });
});
