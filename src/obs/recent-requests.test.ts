import { describe, expect, it } from 'vitest';
import type { FinishedRequest } from '../http/plugins/request-observer.ts';
import {
  hourKey,
  MemoryRequestStats,
  previousHourWeight,
  RECENT_LIMIT,
  type RecentRequest,
  recentRequestOf,
} from './recent-requests.ts';

function finished(overrides: Partial<FinishedRequest>): FinishedRequest {
  return {
    timestamp: new Date('2026-12-07T21:10:00.000Z'),
    requestId: 'r1',
    method: 'GET',
    route: '/portal/uploads/{id}/',
    path: '/portal/uploads/7/',
    status: 200,
    durationMs: 12.3456,
    username: 'owner_a',
    userId: 3,
    customerId: 1,
    isStatic: false,
    ...overrides,
  };
}

function entry(at: string, overrides: Partial<RecentRequest> = {}): RecentRequest {
  return {
    timestamp: at,
    method: 'GET',
    route: '/portal/axis/',
    path: '/portal/axis/',
    status: 200,
    duration_ms: 5,
    user: 'owner_a',
    ...overrides,
  };
}

describe('recentRequestOf', () => {
  it('keeps method, template, path, status, rounded duration and username', () => {
    expect(recentRequestOf(finished({}))).toEqual({
      timestamp: '2026-12-07T21:10:00.000Z',
      method: 'GET',
      route: '/portal/uploads/{id}/',
      path: '/portal/uploads/7/',
      status: 200,
      duration_ms: 12.35,
      user: 'owner_a',
    });
  });

  it('leaves out static files and the dashboard feed', () => {
    expect(
      recentRequestOf(finished({ isStatic: true, route: '/static/*', path: '/static/css/x.css' })),
    ).toBeNull();
    expect(recentRequestOf(finished({ path: '/portal/admin/metrics/data/' }))).toBeNull();
    expect(recentRequestOf(finished({ path: '/portal/admin/metrics/' }))).not.toBeNull();
  });
});

describe('hourly buckets', () => {
  it('are keyed by UTC hour', () => {
    expect(hourKey(new Date('2026-12-07T21:59:59.999Z'))).toBe('2026-12-07T21');
  });

  it('weigh the previous hour by the share still inside the last 60 minutes', () => {
    expect(previousHourWeight(new Date('2026-12-07T21:00:00.000Z'))).toBe(1);
    expect(previousHourWeight(new Date('2026-12-07T21:15:00.000Z'))).toBe(0.75);
  });
});

describe('MemoryRequestStats', () => {
  it('keeps the newest 1,000 requests, newest first, and only those of the last hour', async () => {
    const stats = new MemoryRequestStats();
    stats.record(entry('2026-12-07T20:00:00.000Z', { path: '/old/' }));
    for (let i = 0; i < RECENT_LIMIT + 5; i += 1) {
      stats.record(
        entry(new Date(Date.parse('2026-12-07T21:00:00.000Z') + i).toISOString(), { path: `/p/${i}/` }),
      );
    }
    const snapshot = await stats.snapshot(new Date('2026-12-07T21:30:00.000Z'));
    expect(snapshot.recent).toHaveLength(RECENT_LIMIT);
    expect(snapshot.recent[0]?.path).toBe(`/p/${RECENT_LIMIT + 4}/`);
    expect(snapshot.recent.at(-1)?.path).toBe('/p/5/');
    // An hour later the buffer has nothing left to show.
    expect((await stats.snapshot(new Date('2026-12-07T22:30:00.000Z'))).recent).toEqual([]);
  });

  it('counts requests, 4xx, 5xx and slow requests per route template over the last hour', async () => {
    const stats = new MemoryRequestStats();
    stats.record(entry('2026-12-07T20:50:00.000Z', { route: '/a/', status: 500 })); // previous hour
    stats.record(entry('2026-12-07T21:05:00.000Z', { route: '/a/', status: 404 }));
    stats.record(entry('2026-12-07T21:06:00.000Z', { route: '/a/', duration_ms: 2_500 }));
    stats.record(entry('2026-12-07T21:07:00.000Z', { route: '/b/{id}/', duration_ms: 2_000 }));
    const snapshot = await stats.snapshot(new Date('2026-12-07T21:10:00.000Z'));
    expect(snapshot.routes).toEqual([
      // the previous hour's 5xx weighs 50/60 at 21:10 and rounds to 1
      { route: '/a/', requests: 3, clientErrors: 1, serverErrors: 1, slow: 1 },
      { route: '/b/{id}/', requests: 1, clientErrors: 0, serverErrors: 0, slow: 0 },
    ]);
    // Two hours later both buckets are gone.
    expect((await stats.snapshot(new Date('2026-12-07T23:30:00.000Z'))).routes).toEqual([]);
  });

  it('counts distinct users of the last five minutes', async () => {
    const stats = new MemoryRequestStats();
    stats.record(entry('2026-12-07T21:00:00.000Z', { user: 'early' }));
    stats.record(entry('2026-12-07T21:06:00.000Z', { user: 'a' }));
    stats.record(entry('2026-12-07T21:07:00.000Z', { user: 'a' }));
    stats.record(entry('2026-12-07T21:08:00.000Z', { user: null }));
    stats.record(entry('2026-12-07T21:09:00.000Z', { user: 'b' }));
    expect(await stats.activeUsers(new Date('2026-12-07T21:10:00.000Z'))).toBe(2);
  });

  it('counts cache hits and misses of the current hour', async () => {
    const stats = new MemoryRequestStats();
    stats.recordCache('hit');
    stats.recordCache('hit');
    stats.recordCache('miss');
    expect((await stats.snapshot(new Date())).cache).toEqual({ hits: 2, misses: 1 });
  });
});
