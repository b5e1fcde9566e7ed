import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseDsn } from '../../../src/config/dsn.js';
import { connectTarget } from '../../../src/target/connect.js';
import { useTestDatabase } from '../../helpers/pg.js';

const SS = ['/usr/bin/ss', '/bin/ss', '/usr/sbin/ss'].find((p) => existsSync(p));

/**
 * A server that vanishes without closing its connections (a failed-over or
 * stopped host) left a session waiting on its statement for ever: no socket
 * of the tool had TCP keepalive. The kernel's own view of the socket (ss -o)
 * shows the keepalive timer now.
 */
describe.skipIf(SS === undefined)('the tool’s PostgreSQL sessions', () => {
  const db = useTestDatabase('keepalive');

  it('probe a silent server with TCP keepalive', async () => {
    const dsn = parseDsn(db.url);
    const client = await connectTarget(dsn);
    try {
      const stream = (client as unknown as { connection: { stream: Socket } }).connection.stream;
      // Over a Unix socket (a TEST_DATABASE_URL with a host path) there is no TCP to probe.
      if (stream.localPort === undefined) return;
      const sockets = execFileSync(
        SS as string,
        ['-tnoH', 'state', 'established', `( sport = :${stream.localPort} )`],
        {
          encoding: 'utf8',
        },
      );
      expect(sockets).toMatch(/timer:\(keepalive,/);
    } finally {
      await client.end();
    }
  });
});
