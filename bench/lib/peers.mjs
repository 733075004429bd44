// The peers fdt is measured against in the same run: one haproxy hop and `ssh -R`.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, waitPort } from './procs.mjs';

export async function startHaproxy(dir, { httpPort, tcpPort, origin, tcpOrigin }) {
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `global
  maxconn 8000
defaults
  timeout connect 5s
  timeout client 120s
  timeout server 120s
frontend web
  mode http
  option http-keep-alive
  bind 127.0.0.1:${httpPort}
  default_backend origin
backend origin
  mode http
  server o 127.0.0.1:${origin}
frontend raw
  mode tcp
  bind 127.0.0.1:${tcpPort}
  default_backend rawsrc
backend rawsrc
  mode tcp
  server s 127.0.0.1:${tcpOrigin}
`,
  );
  start('haproxy', ['-f', cfg, '-db']);
  await waitPort(httpPort);
}

/** sshd on loopback plus `ssh -N -R` the way people run it, forwarding both ports. */
export async function startSshReverse(dir, { sshPort, httpPort, tcpPort, origin, tcpOrigin }) {
  mkdirSync('/run/sshd', { recursive: true });
  const hostKey = join(dir, 'ssh_host_ed25519');
  const userKey = join(dir, 'id_ed25519');
  for (const k of [hostKey, userKey]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', k]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${userKey}.pub`));
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  const cfg = join(dir, 'sshd_config');
  writeFileSync(
    cfg,
    `Port ${sshPort}
ListenAddress 127.0.0.1
HostKey ${hostKey}
AuthorizedKeysFile ${join(dir, 'authorized_keys')}
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin yes
AllowTcpForwarding yes
PidFile ${join(dir, 'sshd.pid')}
`,
  );
  start('/usr/sbin/sshd', ['-D', '-e', '-f', cfg]);
  await waitPort(sshPort);
  start('ssh', [
    '-N',
    '-p',
    String(sshPort),
    '-i',
    userKey,
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'ExitOnForwardFailure=yes',
    '-o',
    'LogLevel=ERROR',
    '-R',
    `127.0.0.1:${httpPort}:127.0.0.1:${origin}`,
    '-R',
    `127.0.0.1:${tcpPort}:127.0.0.1:${tcpOrigin}`,
    `${process.env.USER ?? 'root'}@127.0.0.1`,
  ]);
  await waitPort(httpPort);
  await waitPort(tcpPort);
}
