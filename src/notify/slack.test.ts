import { describe, expect, it } from 'vitest';
import { isSlackWebhookUrl, postSlackMessage, slackTargetSummary } from './slack.ts';

const URL_ = 'https://hooks.slack.com/services/T000/B000/secret1234';

function fakeFetch(respond: () => Response | Promise<Response>): {
  fetch: typeof fetch;
  calls: RequestInit[];
} {
  const calls: RequestInit[] = [];
  return {
    calls,
    fetch: (async (_url: string | URL | Request, init?: RequestInit) => {
      calls.push(init ?? {});
      return respond();
    }) as typeof fetch,
  };
}

describe('Slack transport', () => {
  it('posts JSON once without following redirects; 2xx is success', async () => {
    const fake = fakeFetch(() => new Response('ok', { status: 200 }));
    expect(await postSlackMessage(URL_, { text: 'hi' }, { fetch: fake.fetch })).toEqual({
      ok: true,
      status: 200,
      error: null,
    });
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]?.body).toBe('{"text":"hi"}');
    expect(fake.calls[0]?.redirect).toBe('manual');
  });

  it('reports non-2xx with its body, and network errors without the secret URL', async () => {
    const failing = fakeFetch(() => new Response('invalid_payload', { status: 500 }));
    expect(await postSlackMessage(URL_, {}, { fetch: failing.fetch })).toEqual({
      ok: false,
      status: 500,
      error: 'HTTP 500: invalid_payload',
    });
    const broken = fakeFetch(() => {
      throw new TypeError(`fetch failed for ${URL_}`);
    });
    const outcome = await postSlackMessage(URL_, {}, { fetch: broken.fetch });
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/^Error: /);
    expect(outcome.error).not.toContain('secret1234');
  });

  it('validates incoming-webhook URLs and summarises the target host', () => {
    expect(isSlackWebhookUrl(URL_)).toBe(true);
    expect(isSlackWebhookUrl('http://hooks.slack.com/services/x')).toBe(false);
    expect(isSlackWebhookUrl('https://example.com/services/x')).toBe(false);
    expect(isSlackWebhookUrl('not a url')).toBe(false);
    expect(slackTargetSummary(URL_)).toBe('hooks.slack.com');
  });
});
