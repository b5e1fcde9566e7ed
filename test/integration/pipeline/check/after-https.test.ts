import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterSwitchChecks } from '../../../../src/pipeline/check/after-switch.js';
import type { AfterSwitchOptions } from '../../../../src/pipeline/check/after-switch-options.js';
import { makeCerts } from '../../../helpers/certs.js';
import { startFakeAragora, type FakeAragora } from '../../../helpers/fake-aragora-http.js';
import { tempDir } from '../../../helpers/files.js';

describe('after the switch, over HTTPS with a private CA', () => {
  const certs = tempDir('check-https');
  let server: FakeAragora;
  beforeAll(async () => {
    makeCerts(certs);
    server = await startFakeAragora({
      tls: {
        cert: readFileSync(join(certs, 'server.crt'), 'utf8'),
        key: readFileSync(join(certs, 'server.key'), 'utf8'),
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  const check = (over: Partial<AfterSwitchOptions>): ReturnType<typeof afterSwitchChecks> =>
    afterSwitchChecks({
      loadBalancerUrl: server.url,
      instanceUrls: [],
      target: null,
      expectedInstances: 1,
      timeoutMs: 3000,
      keptInstances: [],
      ...over,
    });
  const httpItems = async (over: Partial<AfterSwitchOptions>): Promise<Awaited<ReturnType<typeof check>>> =>
    (await check(over)).filter((i) => i.id.startsWith('http.') && i.id !== 'http.same-latest-debate');

  it('passes with --ca-file naming the CA that signed the certificate', async () => {
    const items = await httpItems({ caFile: join(certs, 'ca.crt') });
    expect(items.map((i) => i.status)).toEqual(['pass', 'pass', 'pass']);
    expect(items[0]?.subject).toBe(`${server.url}/`);
  });

  it('fails without --ca-file, saying to pass it', async () => {
    const items = await httpItems({});
    expect(items).toHaveLength(3);
    for (const i of items) {
      expect(i.status).toBe('fail');
      expect(i.detail).toMatch(/^load balancer: TLS failed: .*certificate/);
      expect(i.fix).toMatch(/pass --ca-file with that CA’s PEM file/);
    }
  });

  it('fails with the CA of another chain, saying the certificate is not signed by it', async () => {
    const items = await httpItems({ caFile: join(certs, 'other.crt') });
    for (const i of items) expect(i.fix).toMatch(/not signed by the CA in --ca-file/);
  });

  it('fails a --ca-file it cannot use, once, and asks nothing over HTTPS', async () => {
    const missing = await httpItems({ caFile: join(certs, 'nope.crt') });
    expect(missing).toMatchObject([{ id: 'http.ca-file', status: 'fail', subject: join(certs, 'nope.crt') }]);
    expect(missing[0]?.detail).toMatch(/cannot read it \(ENOENT\)/);
    const notPem = await httpItems({ caFile: join(certs, 'san.ext') });
    expect(notPem[0]?.detail).toMatch(/holds no PEM certificate/);
  });
});
