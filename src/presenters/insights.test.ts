import { describe, expect, it } from 'vitest';
import { eventLabel, payloadEntries, presentInsightEvent } from './insights.ts';

describe('insights feed presenter (analytics §13.7)', () => {
  it('formats dates as "Mon DD, YYYY HH:MM UTC"', () => {
    const dateOf = (at: string) =>
      presentInsightEvent({ id: 1, event_type: 'x', payload: {}, created_at: new Date(at) }).date;
    expect(dateOf('2024-01-05T14:30:59Z')).toBe('Jan 05, 2024 14:30 UTC');
    expect(dateOf('2024-12-31T00:05:00Z')).toBe('Dec 31, 2024 00:05 UTC');
  });

  it('labels known event types as listed and title-cases unknown ones', () => {
    expect(eventLabel('driftwatch_signal_created')).toBe('DriftWatch Signal Created');
    expect(eventLabel('weekly_report_sent')).toBe('Weekly Report Sent');
    expect(eventLabel('some__new_event')).toBe('Some New Event');
  });

  it('lists an object payload’s top-level entries, non-strings as JSON; nothing for other payloads', () => {
    expect(payloadEntries({ payer: 'Aetna', findings: 3, nested: { a: [1] }, none: null })).toEqual([
      { key: 'payer', value: 'Aetna' },
      { key: 'findings', value: '3' },
      { key: 'nested', value: '{"a":[1]}' },
      { key: 'none', value: 'null' },
    ]);
    expect(payloadEntries(null)).toEqual([]);
    expect(payloadEntries([1, 2])).toEqual([]);
    expect(payloadEntries('text')).toEqual([]);
  });

  it('turns a system event row into a card', () => {
    expect(
      presentInsightEvent({
        id: 7,
        event_type: 'upload_deleted',
        payload: { upload_id: 12 },
        created_at: new Date('2026-03-02T08:09:10Z'),
      }),
    ).toEqual({
      id: 7,
      type: 'upload_deleted',
      label: 'Upload Deleted',
      date: 'Mar 02, 2026 08:09 UTC',
      entries: [{ key: 'upload_id', value: '12' }],
    });
  });
});
