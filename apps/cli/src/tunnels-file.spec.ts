import { describe, expect, it } from '@jest/globals';
import { UsageError } from './errors.js';
import { parseTunnelsFile } from './tunnels-file.js';

const ok = `version: 1
tunnels:
  web:
    proto: http
    addr: 3000
    name: my-app
    basic_auth: [ "alice:secret" ]
    allow_cidr:
      - 10.0.0.0/8
    inspect: false
    region: eu
  db:
    proto: tcp
    addr: localhost:5432
    remote_port: 20001
    deny_cidr: [ 192.168.0.0/16 ]
    max_conns: 10
  site:
    proto: tls
    addr: 8443
    domain: App.Example.com
`;

function err(text: string): string {
  try {
    parseTunnelsFile(text, 'fdt.yml');
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('parseTunnelsFile', () => {
  it('turns every entry into a TunnelSpec keyed by its name in the map', () => {
    expect(parseTunnelsFile(ok, 'fdt.yml')).toEqual({
      region: 'eu',
      tunnels: [
        {
          id: 'web',
          proto: 'http',
          addr: '3000',
          name: 'my-app',
          basicAuth: [{ user: 'alice', password: 'secret' }],
          allowCidrs: ['10.0.0.0/8'],
          inspect: false,
        },
        {
          id: 'db',
          proto: 'tcp',
          addr: 'localhost:5432',
          remotePort: 20001,
          denyCidrs: ['192.168.0.0/16'],
          maxConns: 10,
        },
        { id: 'site', proto: 'tls', addr: '8443', domain: 'app.example.com' },
      ],
    });
  });

  it.each([
    [
      'version: 1\ntunnels:\n  web:\n    proto: http\n    addr: 3000\n    colour: red\n',
      'fdt.yml:6: tunnels.web.colour: unknown key',
    ],
    [
      'version: 1\nextra: 1\ntunnels:\n  web:\n    proto: http\n    addr: 3000\n',
      'fdt.yml:2: extra: unknown key',
    ],
    ['version: 1\ntunnels:\n  web:\n    addr: 3000\n', 'fdt.yml:3: tunnels.web.proto: missing'],
    ['version: 1\ntunnels:\n  web:\n    proto: http\n', 'fdt.yml:3: tunnels.web.addr: missing'],
    [
      'version: 1\ntunnels:\n  web:\n    proto: ssh\n    addr: 22\n',
      'fdt.yml:4: tunnels.web.proto: expected http, tcp or tls',
    ],
    [
      'version: 1\ntunnels:\n  web:\n    proto: http\n    addr: 3000\n    max_conns: lots\n',
      'fdt.yml:6: tunnels.web.max_conns: expected an integer',
    ],
    [
      'version: 1\ntunnels:\n  web:\n    proto: http\n    addr: 3000\n    inspect: "no"\n',
      'fdt.yml:6: tunnels.web.inspect: expected true or false',
    ],
    [
      'version: 1\ntunnels:\n  web:\n    proto: http\n    addr: 3000\n    basic_auth: a:b\n',
      'fdt.yml:6: tunnels.web.basic_auth: expected a list of strings',
    ],
    [
      'version: 1\ntunnels:\n  web:\n    proto: http\n    addr: 3000\n    allow_cidr: [10.0.0.0/33]\n',
      'fdt.yml:6: tunnels.web.allow_cidr:',
    ],
    [
      'version: 1\ntunnels:\n  db:\n    proto: tcp\n    addr: 5432\n    name: x\n',
      'fdt.yml:6: tunnels.db.name: name applies to http and tls',
    ],
    [
      'version: 1\ntunnels:\n  s:\n    proto: tls\n    addr: 8443\n',
      'fdt.yml:3: tunnels.s.domain: domain is required',
    ],
    ['version: 1\ntunnels:\n  web:\n    proto: http\n    addr: 99999\n', 'fdt.yml:5: tunnels.web.addr:'],
    ['version: 2\ntunnels:\n  web:\n    proto: http\n    addr: 3000\n', 'fdt.yml:1: version: must be 1'],
    ['tunnels:\n  web:\n    proto: http\n    addr: 3000\n', 'fdt.yml:1: version: missing'],
    ['version: 1\ntunnels: {}\n', 'fdt.yml:2: tunnels: expected a map of at least one tunnel'],
    ['version: 1\ntunnels:\n  web:\n    proto: http\n    proto: tcp\n    addr: 1\n', 'fdt.yml:5:'],
    [
      'version: 1\ntunnels:\n  a:\n    proto: http\n    addr: 1\n    region: eu\n  b:\n    proto: http\n    addr: 2\n    region: us\n',
      'fdt.yml:10: tunnels.b.region: all tunnels share one session',
    ],
  ])('rejects %j with %s', (text, expected) => {
    expect(err(text)).toContain(expected);
  });
});
