import { describe, expect, it } from 'vitest';
import { BLOCKED_DESTINATION_MESSAGE, checkDestination, classifyAddress } from './destination-guard.ts';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link_local'],
    ['169.254.0.1', 'link_local'],
    ['fe80::1', 'link_local'],
    ['febf::1', 'link_local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456:789a::1', 'unique_local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:10.0.0.5', 'private'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0:0:0:0:0:ffff:a00:5', 'private'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['64:ff9b::a00:1', 'private'],
    ['255.255.255.255', 'reserved'],
    ['8.8.8.8', 'public'],
    ['172.15.255.255', 'public'],
    ['172.32.0.1', 'public'],
    ['100.63.255.255', 'public'],
    ['100.128.0.1', 'public'],
    ['93.184.216.34', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['[::1]', 'loopback'],
    ['not-an-ip', 'invalid'],
    ['10.0.0.256', 'invalid'],
  ])('%s → %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });
});

describe('checkDestination', () => {
  const resolveTo =
    (...addresses: string[]) =>
    async () =>
      addresses.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));

  it('a public host resolves to the address the client must use', async () => {
    const check = await checkDestination('https://hooks.example.com/x', {
      allowPrivate: false,
      resolve: resolveTo('93.184.216.34'),
    });
    expect(check).toMatchObject({ ok: true, destination: { address: '93.184.216.34', family: 4 } });
  });

  it('a host resolving to 10.0.0.5 is blocked unless private targets are allowed', async () => {
    const blocked = await checkDestination('https://hooks.example.com/x', {
      allowPrivate: false,
      resolve: resolveTo('10.0.0.5'),
    });
    expect(blocked).toEqual({ ok: false, reason: 'blocked', detail: BLOCKED_DESTINATION_MESSAGE });
    const allowed = await checkDestination('https://hooks.example.com/x', {
      allowPrivate: true,
      resolve: resolveTo('10.0.0.5'),
    });
    expect(allowed.ok).toBe(true);
  });

  it('one private answer among public ones is refused (rebinding)', async () => {
    const check = await checkDestination('https://hooks.example.com/', {
      allowPrivate: false,
      resolve: resolveTo('93.184.216.34', '127.0.0.1'),
    });
    expect(check.ok).toBe(false);
  });

  it('IP literals are checked without DNS, IPv6 in brackets included', async () => {
    const never = async () => {
      throw new Error('must not resolve');
    };
    for (const url of ['https://127.0.0.1/hook', 'https://[::1]/hook', 'https://[::ffff:192.168.0.1]/']) {
      expect(await checkDestination(url, { allowPrivate: false, resolve: never })).toMatchObject({
        ok: false,
        reason: 'blocked',
      });
    }
  });

  it('bad URLs and resolution failures are reported, not thrown', async () => {
    expect(await checkDestination('not a url', { allowPrivate: false })).toMatchObject({
      reason: 'invalid_url',
    });
    expect(await checkDestination('ftp://example.com/', { allowPrivate: false })).toMatchObject({
      reason: 'invalid_url',
    });
    const failing = async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    };
    expect(
      await checkDestination('https://nowhere.invalid/', { allowPrivate: false, resolve: failing }),
    ).toEqual({
      ok: false,
      reason: 'unresolvable',
      detail: 'Could not resolve host nowhere.invalid (ENOTFOUND)',
    });
  });
});
