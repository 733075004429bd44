import { Args, Command, Flags } from '@oclif/core';
import { readFileSync } from 'node:fs';
import {
  AgentClient,
  AuthError,
  DEFAULT_INSPECT_ADDR,
  InvalidOptionsError,
  parseInspectAddr,
  type AgentEvents,
  type TunnelSpec,
} from '@fdt/agent';
import { cliDebug, loadCliEnv } from '../../config/cli.config.js';
import { loadSettings } from '../../config/user-config.js';
import { toFailure, UsageError } from '../../errors.js';
import { Reporter, type LogFormat } from '../../output.js';
import { tunnelSpecFromFlags, type Proto } from '../../tunnel-flags.js';
import { parseTunnelsFile } from '../../tunnels-file.js';

const EVENTS = [
  'session_started',
  'tunnel_online',
  'inspector_online',
  'reconnecting',
  'reconnected',
  'request',
  'connection',
  'warning',
] as const satisfies readonly (keyof AgentEvents)[];

export default class TunnelStart extends Command {
  static override summary = 'Open a tunnel to a local service.';
  static override description = `Prints the public URL and forwards visitors to <addr> until stopped (Ctrl-C).
With --log json, or when stdout is not a terminal, prints one JSON object per line; the line
announcing the public endpoint has "event":"tunnel_online" and "url" (one per tunnel).
With --config fdt.yml, opens every tunnel of the file in one session.
The authtoken and api URL come from the flags, else FDT_AUTHTOKEN / FDT_API_URL, else the
config file written by \`fdt login\`, else (api) http://localhost:3000.
Exit codes: 0 stopped, 2 bad usage, 3 authentication failed, 4 refused by plan or policy, 1 otherwise.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> http 3000',
    '<%= config.bin %> <%= command.id %> http https://localhost:8443 --name my-app --basic-auth alice:secret',
    '<%= config.bin %> <%= command.id %> tcp 5432 --allow-cidr 10.0.0.0/8',
    '<%= config.bin %> <%= command.id %> tls 8443 --domain app.example.com',
    '<%= config.bin %> <%= command.id %> --config fdt.yml',
  ];

  static override args = {
    proto: Args.string({
      description: 'what the tunnel carries',
      options: ['http', 'tcp', 'tls'],
    }),
    addr: Args.string({ description: 'local port, host:port, or (http) an http(s):// URL' }),
  };

  static override flags = {
    name: Flags.string({ description: 'public name: <name>.<base domain> (http, tls)' }),
    domain: Flags.string({
      description: 'public host: a custom domain (http) or the passthrough host (tls, required)',
    }),
    'basic-auth': Flags.string({
      description: 'ask visitors for user:password (repeatable; http)',
      multiple: true,
      multipleNonGreedy: true,
    }),
    'allow-cidr': Flags.string({
      description: 'only let visitors from this CIDR in (repeatable)',
      multiple: true,
      multipleNonGreedy: true,
    }),
    'deny-cidr': Flags.string({
      description: 'keep visitors from this CIDR out (repeatable)',
      multiple: true,
      multipleNonGreedy: true,
    }),
    'remote-port': Flags.integer({
      description: 'public TCP port from your reserved addresses (tcp)',
      min: 1,
      max: 65535,
    }),
    region: Flags.string({ description: 'preferred relay region' }),
    'max-conns': Flags.integer({
      description: 'most concurrent visitor connections',
      min: 1,
      max: 1_000_000,
    }),
    config: Flags.string({
      description: 'open the tunnels of this file (version: 1, tunnels: ...) instead of <proto> <addr>',
    }),
    authtoken: Flags.string({ description: 'agent authtoken (else FDT_AUTHTOKEN, else the config file)' }),
    api: Flags.string({
      description: 'fdt api URL (else FDT_API_URL, else the config file, else http://localhost:3000)',
    }),
    log: Flags.option({
      description: 'output: json lines, or text for humans (default: text on a terminal, else json)',
      options: ['json', 'text'] as const,
    })(),
    inspect: Flags.boolean({
      description: `record HTTP exchanges for inspection, served by the local inspector (http://${DEFAULT_INSPECT_ADDR}); --no-inspect turns both off`,
      allowNo: true,
      default: true,
    }),
    'inspect-addr': Flags.string({
      description: `where the local inspector listens, host:port on loopback (default ${DEFAULT_INSPECT_ADDR}; when taken, the next 9 ports are tried)`,
    }),
  };

  private reporter: Reporter | undefined;
  private apiUrl: string | undefined;

  async run(): Promise<void> {
    // Before parsing, so that usage errors already come out in the chosen format.
    this.reporter = new Reporter(logFormat(this.argv));
    const { args, flags } = await this.parse(TunnelStart);
    const out = new Reporter(flags.log ?? logFormat(this.argv));
    this.reporter = out;
    let tunnels: TunnelSpec[];
    let region = flags.region;
    if (flags.config) {
      if (args.proto || args.addr)
        throw new UsageError('give either --config or <proto> <addr>, not both', '--config');
      const perTunnel = [
        'name',
        'domain',
        'basic-auth',
        'allow-cidr',
        'deny-cidr',
        'remote-port',
        'max-conns',
      ] as const;
      const given = perTunnel.find((f) => flags[f] !== undefined);
      if (given)
        throw new UsageError(
          `--${given} does not go with --config: set it per tunnel in the file`,
          `--${given}`,
        );
      const file = flags.config;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new UsageError(
          `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
          '--config',
        );
      }
      const parsed = parseTunnelsFile(text, file);
      tunnels = parsed.tunnels;
      region ??= parsed.region;
    } else {
      if (!args.proto || !args.addr)
        throw new UsageError(
          'missing <proto> <addr> (e.g. `fdt tunnel start http 3000`), or give --config fdt.yml',
          'PROTO',
        );
      tunnels = [tunnelSpecFromFlags(args.proto as Proto, args.addr, flags)];
    }
    const inspectAddr = flags['inspect-addr'];
    if (inspectAddr !== undefined) {
      if (!flags.inspect)
        throw new UsageError('--inspect-addr does not go with --no-inspect', '--inspect-addr');
      try {
        parseInspectAddr(inspectAddr);
      } catch (e) {
        if (e instanceof InvalidOptionsError)
          throw new UsageError(`--inspect-addr: ${e.message}`, '--inspect-addr');
        throw e;
      }
    }
    const settings = loadSettings({ api: flags.api, authtoken: flags.authtoken });
    this.apiUrl = settings.apiUrl;
    const env = loadCliEnv();
    if (!settings.authtoken)
      throw new AuthError(
        `no authtoken given (--authtoken, FDT_AUTHTOKEN, or fdt login to save one in ${settings.configPath})`,
      );

    const client = new AgentClient({
      authtoken: settings.authtoken,
      apiUrl: settings.apiUrl,
      region,
      ca: env.ca,
      clientVersion: this.config.version,
      tunnels,
      inspector: flags.inspect ? { addr: inspectAddr ?? DEFAULT_INSPECT_ADDR } : false,
    });
    for (const e of EVENTS) client.on(e, (data: object) => out.event(e, data));
    out.latencyFrom(() => client.rttMs);

    let stopping: string | undefined;
    const stopped = new Promise<string>((resolve) => {
      const onSignal = (sig: NodeJS.Signals) => {
        // A second signal (a terminal sends it to the whole process group) changes nothing:
        // the close is already bounded.
        if (stopping) return;
        stopping = sig;
        resolve(sig);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });

    const started = client.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    const first = await Promise.race([started, stopped.then(() => 'signal' as const)]);
    if (first !== 'signal' && first !== undefined) throw first;
    const outcome =
      first === 'signal' ? undefined : await Promise.race([client.wait(), stopped.then(() => undefined)]);
    if (outcome?.error) throw outcome.error;
    await client.close();
    out.event('stopped', { signal: stopping ?? null });
    process.exit(0);
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<void> {
    const failure = toFailure(err, { apiUrl: this.apiUrl });
    const out = this.reporter ?? new Reporter(logFormat(this.argv));
    out.failure(failure, failure.bug && cliDebug() ? err.stack : undefined);
    process.exit(failure.exitCode);
  }
}

function logFormat(argv: string[]): LogFormat {
  const i = argv.findIndex((a) => a === '--log' || a.startsWith('--log='));
  const v = i < 0 ? undefined : argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  if (v === 'json' || v === 'text') return v;
  return process.stdout.isTTY ? 'text' : 'json';
}
