import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { promisify } from 'node:util';
import { FtpSrv } from 'ftp-srv';
import type { TestCertificates } from './tlsCerts.js';

const run = promisify(execFile);

/** A server the tests can log in to; `stop()` is safe to call more than once. */
export interface RunningFtpServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  stop(): Promise<void>;
}

/** The in-process server also counts what pool tests need to see. */
export interface InProcessFtpServer extends RunningFtpServer {
  /** Logins accepted and control connections seen so far. */
  readonly stats: FtpServerStats;
}

export interface FtpServerStats {
  logins: number;
  /** Control connections open right now and the most ever open at once. */
  open: number;
  maxOpen: number;
}

/** Why a test that needs a real server cannot run here, in one line. */
export interface SkipReason {
  readonly skip: string;
}

export interface InProcessFtpOptions {
  /** Default `test`. */
  readonly user?: string;
  /** Default `test-password`. */
  readonly password?: string;
  /** Refuse a login with 530 "Too many users" once this many sessions are logged in. */
  readonly maxLogins?: number;
}

/** ftp-srv on loopback serving `rootDir`: fast, no MLSD, LIST and MDTM times in UTC. */
export async function startInProcessFtp(
  rootDir: string,
  options: InProcessFtpOptions = {},
): Promise<InProcessFtpServer> {
  const user = options.user ?? 'test';
  const password = options.password ?? 'test-password';
  const port = await freePort();
  const pasvMin = await freePort();
  const stats: FtpServerStats = { logins: 0, open: 0, maxOpen: 0 };
  const loggedIn = new Set<string>();
  const server = new FtpSrv({
    url: `ftp://127.0.0.1:${port}`,
    pasv_url: '127.0.0.1',
    pasv_min: pasvMin,
    pasv_max: pasvMin + 50,
    anonymous: false,
    greeting: 'ftp-ingest test server',
    log: silentBunyan,
  });
  // ftp-srv's typings omit 'connect'; the plain EventEmitter signature takes it.
  const events: EventEmitter = server;
  events.on('connect', () => {
    stats.open += 1;
    stats.maxOpen = Math.max(stats.maxOpen, stats.open);
  });
  server.on('disconnect', ({ id }: { id: string }) => {
    stats.open -= 1;
    loggedIn.delete(id);
  });
  server.on('login', (data: LoginData, resolve: (r: { root: string }) => void, reject) => {
    if (data.username !== user || data.password !== password)
      return reject(new Error('Login incorrect'));
    if (options.maxLogins !== undefined && loggedIn.size >= options.maxLogins)
      return reject(new Error('Too many users, sorry'));
    loggedIn.add(data.connection.id);
    stats.logins += 1;
    resolve({ root: rootDir });
  });
  await server.listen();
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    stats,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
    },
  };
}

interface LoginData {
  readonly connection: { readonly id: string };
  readonly username: string;
  readonly password: string;
}

/** ftp-srv logs through bunyan; this stands in for a bunyan logger that drops everything. */
const silentBunyan = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  fatal: () => undefined,
  child: () => silentBunyan,
};

/** FTPS on a real test server: AUTH TLS on the control port, or TLS from the first byte. */
export interface ServerTls {
  readonly certificates: TestCertificates;
  /** Default `explicit`. Implicit FTPS is a separate mode that refuses plain connections. */
  readonly mode?: 'explicit' | 'implicit';
}

export interface VsftpdOptions {
  /** Default `ftpingest`: a system user created on first use. */
  readonly user?: string;
  /** Default a fixed test password; set with chpasswd on each start. */
  readonly password?: string;
  /** IANA zone of the server's clock (`TZ` of the process); vsftpd lists in it. Default UTC. */
  readonly timezone?: string;
  /** vsftpd's `max_per_ip`: more connections get "421 There are too many connections". */
  readonly maxPerIp?: number;
  /** Extra `key=value` lines for vsftpd.conf. */
  readonly extraConfig?: readonly string[];
  /** FTPS required for login and data, with TLS session reuse on the data connection. */
  readonly tls?: ServerTls;
}

const vsftpdBinary = '/usr/sbin/vsftpd';
const pamService = 'ftp-ingest-test';

/**
 * The real vsftpd (LIST only, no MLSD, server-local LIST times) serving `rootDir` as `/` on
 * loopback, in the foreground with a config of its own; a skip reason where it cannot run.
 */
export async function startVsftpd(
  rootDir: string,
  options: VsftpdOptions = {},
): Promise<RunningFtpServer | SkipReason> {
  if (!existsSync(vsftpdBinary))
    return {
      skip: 'vsftpd not installed (apt-get install vsftpd, or scripts/install-ftp-servers.sh)',
    };
  if (process.getuid?.() !== 0)
    return { skip: 'vsftpd tests need root (a system user and a PAM service are created)' };
  const user = options.user ?? 'ftpingest';
  const password = options.password ?? 'ftp-ingest-test-pw';
  await ensureSystemUser(user, password);
  await ensurePamService();

  const dir = await mkdtemp(join(tmpdir(), 'vsftpd-'));
  // vsftpd refuses a secure_chroot_dir that is writable by anyone but root.
  const empty = join(dir, 'empty');
  await mkdir(empty);
  await chmod(empty, 0o555);
  const served = await realpath(rootDir);
  const logFile = join(dir, 'vsftpd.log');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const pasvMin = await freePort();
    const config = [
      'listen=YES',
      'listen_ipv6=NO',
      'listen_address=127.0.0.1',
      `listen_port=${port}`,
      'background=NO',
      'anonymous_enable=NO',
      'local_enable=YES',
      'write_enable=NO',
      `pam_service_name=${pamService}`,
      `local_root=${served}`,
      'chroot_local_user=YES',
      'allow_writeable_chroot=YES',
      `secure_chroot_dir=${empty}`,
      'pasv_enable=YES',
      'pasv_address=127.0.0.1',
      `pasv_min_port=${pasvMin}`,
      `pasv_max_port=${pasvMin + 50}`,
      'use_localtime=YES',
      'utf8_filesystem=YES',
      'seccomp_sandbox=NO',
      'isolate=NO',
      'isolate_network=NO',
      'xferlog_enable=NO',
      'syslog_enable=NO',
      `vsftpd_log_file=${logFile}`,
      'log_ftp_protocol=NO',
      'userlist_enable=NO',
      'check_shell=NO',
      `max_per_ip=${options.maxPerIp ?? 0}`,
      'max_clients=0',
      ...vsftpdTlsConfig(options.tls),
      ...(options.extraConfig ?? []),
    ];
    const configFile = join(dir, 'vsftpd.conf');
    await writeFile(configFile, config.join('\n') + '\n', { mode: 0o600 });
    const env = { ...process.env, TZ: options.timezone ?? 'UTC' };
    const child = spawn(vsftpdBinary, [configFile], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A test process that dies without stop() must not leave a server behind.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    const ready = await waitForGreeting(port, child, 10_000, options.tls?.mode === 'implicit');
    if (ready === true) {
      return {
        host: '127.0.0.1',
        port,
        user,
        password,
        async stop() {
          await stopProcess(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    await stopProcess(child);
    // The only failure worth a retry is losing the port to another process in between.
    if (attempt >= 3 || !/address already in use|bind/i.test(stderr + ready)) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`vsftpd did not start: ${ready}; stderr: ${stderr.trim() || '(empty)'}`);
    }
  }
}

/** A free TCP port on loopback, by binding port 0 and releasing it. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Connects until the server sends its 220 greeting; true, or why it never did. */
async function waitForGreeting(
  port: number,
  child: ChildProcess,
  timeoutMs: number,
  implicitTls = false,
): Promise<true | string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      return `exited with ${child.exitCode ?? child.signalCode}`;
    const greeting = await readGreeting(port, implicitTls);
    if (greeting.startsWith('220')) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return `no 220 greeting on port ${port} within ${timeoutMs} ms`;
}

async function readGreeting(port: number, implicitTls = false): Promise<string> {
  return new Promise((resolve) => {
    // Only a readiness probe: the tests' own clients verify the certificate.
    const socket: Socket = implicitTls
      ? connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : connect({ host: '127.0.0.1', port });
    let text = '';
    const done = (value: string) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(2000, () => done(text));
    socket.on('data', (chunk) => {
      text += chunk.toString();
      if (text.includes('\n')) {
        socket.end('QUIT\r\n');
        done(text);
      }
    });
    socket.on('error', () => done(''));
    socket.on('close', () => done(text));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function ensureSystemUser(user: string, password: string): Promise<void> {
  const exists = await run('id', ['-u', user]).then(
    () => true,
    () => false,
  );
  // Test files run in parallel processes: a concurrent useradd holds /etc/passwd's lock.
  for (let attempt = 1; !exists; attempt++) {
    try {
      // vsftpd enters the home directory before local_root: give it one that exists.
      await run('useradd', [
        '--no-create-home',
        '--home-dir',
        '/',
        '--shell',
        '/usr/sbin/nologin',
        user,
      ]);
      break;
    } catch (error) {
      const taken = await run('id', ['-u', user]).then(
        () => true,
        () => false,
      );
      if (taken) break;
      if (attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const child = execFile('chpasswd');
      const done = new Promise<void>((resolve, reject) =>
        child.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`chpasswd exited with ${code}`)),
        ),
      );
      child.stdin?.end(`${user}:${password}\n`);
      await done;
      return;
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** Debian's stock vsftpd PAM service refuses users without a login shell: use our own. */
async function ensurePamService(): Promise<void> {
  const service = [
    '# Written by ftp-ingest tests for a vsftpd on loopback; safe to delete.',
    'auth required pam_unix.so',
    'account required pam_permit.so',
    'session required pam_permit.so',
    '',
  ].join('\n');
  await writeFile(`/etc/pam.d/${pamService}`, service);
}

function vsftpdTlsConfig(tls: ServerTls | undefined): string[] {
  if (tls === undefined) return [];
  return [
    'ssl_enable=YES',
    `implicit_ssl=${tls.mode === 'implicit' ? 'YES' : 'NO'}`,
    `rsa_cert_file=${tls.certificates.certFile}`,
    `rsa_private_key_file=${tls.certificates.keyFile}`,
    'force_local_logins_ssl=YES',
    'force_local_data_ssl=YES',
    // The data connection must resume the control connection's TLS session, as FileZilla
    // Server does too: the case basic-ftp handles and a naive client fails.
    'require_ssl_reuse=YES',
    'ssl_tlsv1=NO',
    'ssl_sslv2=NO',
    'ssl_sslv3=NO',
    'ssl_ciphers=HIGH',
  ];
}

/** Options shared by the unpacked servers (pure-ftpd, proftpd). */
export interface UnpackedServerOptions {
  /** Default `ftpingest`, mapped to the system user of that name. */
  readonly user?: string;
  /** Default a fixed test password. */
  readonly password?: string;
  /** IANA zone of the server's clock; LIST times are in it. Default UTC. */
  readonly timezone?: string;
  /** Sessions one user may have at once; more are refused. Default unlimited. */
  readonly maxPerUser?: number;
  readonly tls?: ServerTls;
}

const serversDir = '/opt/ftp-ingest-servers';
const pureFtpdBinary = `${serversDir}/pure-ftpd/usr/sbin/pure-ftpd`;
const purePwBinary = `${serversDir}/pure-ftpd/usr/bin/pure-pw`;
const proftpdDir = `${serversDir}/proftpd`;
const proftpdBinary = `${proftpdDir}/usr/sbin/proftpd`;
const installHint = 'run scripts/install-ftp-servers.sh as root';

/**
 * The real pure-ftpd (MLSD, LIST in server-local time) serving `rootDir` as `/` on loopback,
 * from the unpacked Debian package, with a PureDB user of its own. Explicit FTPS only: Debian
 * builds it without implicit TLS.
 */
export async function startPureFtpd(
  rootDir: string,
  options: UnpackedServerOptions = {},
): Promise<RunningFtpServer | SkipReason> {
  if (!existsSync(pureFtpdBinary)) return { skip: `pure-ftpd not installed (${installHint})` };
  if (process.getuid?.() !== 0) return { skip: 'pure-ftpd tests need root (it chroots)' };
  if (options.tls?.mode === 'implicit')
    throw new Error('pure-ftpd as packaged by Debian has no implicit FTPS');
  const user = options.user ?? 'ftpingest';
  const password = options.password ?? 'ftp-ingest-test-pw';
  await ensureSystemUser('ftpingest', 'ftp-ingest-test-pw');
  const dir = await mkdtemp(join(tmpdir(), 'pure-ftpd-'));
  const served = await realpath(rootDir);
  const passwdFile = join(dir, 'pureftpd.passwd');
  const pdbFile = join(dir, 'pureftpd.pdb');
  // pure-pw would hash with libsodium's slow default (two seconds a login); any crypt(3) hash
  // is accepted, and SHA-512 crypt keeps logins instant.
  const { stdout: hash } = await run('openssl', ['passwd', '-6', password]);
  const uid = (await run('id', ['-u', 'ftpingest'])).stdout.trim();
  const gid = (await run('id', ['-g', 'ftpingest'])).stdout.trim();
  const fields = [user, hash.trim(), uid, gid, '', served, ...Array<string>(12).fill('')];
  await writeFile(passwdFile, fields.join(':') + '\n', { mode: 0o600 });
  await run(purePwBinary, ['mkdb', pdbFile, '-f', passwdFile]);
  return launchUntilGreeting('pure-ftpd', dir, options, async (port, pasvMin) => ({
    binary: pureFtpdBinary,
    args: [
      '--bind',
      `127.0.0.1,${port}`,
      '--ipv4only',
      '--dontresolve',
      '--noanonymous',
      '--chrooteveryone',
      '--displaydotfiles',
      '--login',
      `puredb:${pdbFile}`,
      '--passiveportrange',
      `${pasvMin}:${pasvMin + 50}`,
      '--forcepassiveip',
      '127.0.0.1',
      '--minuid',
      '1',
      '--maxclientsnumber',
      '100',
      ...(options.maxPerUser === undefined ? [] : ['--peruserlimits', `${options.maxPerUser}:0`]),
      ...(options.tls === undefined
        ? []
        : ['--tls', '2', '--certfile', options.tls.certificates.combinedFile]),
    ],
    user,
    password,
  }));
}

/**
 * The real proftpd (MLSD, LIST in UTC unless a zone is given) serving `rootDir` as `/` on
 * loopback, from the unpacked Debian packages, with an AuthUserFile of its own. Explicit or
 * implicit FTPS through mod_tls, which by default demands TLS session reuse on data connections.
 */
export async function startProftpd(
  rootDir: string,
  options: UnpackedServerOptions = {},
): Promise<RunningFtpServer | SkipReason> {
  if (!existsSync(proftpdBinary)) return { skip: `proftpd not installed (${installHint})` };
  if (process.getuid?.() !== 0) return { skip: 'proftpd tests need root (it chroots)' };
  const user = options.user ?? 'ftpingest';
  const password = options.password ?? 'ftp-ingest-test-pw';
  await ensureSystemUser('ftpingest', 'ftp-ingest-test-pw');
  const dir = await mkdtemp(join(tmpdir(), 'proftpd-'));
  await chmod(dir, 0o700);
  const served = await realpath(rootDir);
  const { stdout: hash } = await run('openssl', ['passwd', '-6', password]);
  const uid = (await run('id', ['-u', 'ftpingest'])).stdout.trim();
  const gid = (await run('id', ['-g', 'ftpingest'])).stdout.trim();
  const authFile = join(dir, 'ftpd.passwd');
  await writeFile(authFile, `${user}:${hash.trim()}:${uid}:${gid}::${served}:/bin/false\n`, {
    mode: 0o600,
  });
  const tls = options.tls;
  return launchUntilGreeting('proftpd', dir, options, async (port, pasvMin) => {
    const config = [
      'ServerType standalone',
      'DefaultServer on',
      `Port ${port}`,
      'DefaultAddress 127.0.0.1',
      'SocketBindTight on',
      'UseIPv6 off',
      'User nobody',
      'Group nogroup',
      `PidFile ${dir}/proftpd.pid`,
      `ScoreboardFile ${dir}/proftpd.scoreboard`,
      `DelayTable ${dir}/proftpd.delay`,
      'WtmpLog off',
      'UseReverseDNS off',
      'UseLastlog off',
      `SystemLog ${dir}/proftpd.log`,
      'TransferLog none',
      `ModulePath ${proftpdDir}/usr/lib/proftpd`,
      `AuthUserFile ${authFile}`,
      'AuthOrder mod_auth_file.c',
      'RequireValidShell off',
      'DefaultRoot ~',
      `PassivePorts ${pasvMin} ${pasvMin + 50}`,
      'ListOptions "-a"',
      'AllowOverwrite off',
      'MaxInstances 100',
      // proftpd lists in GMT by default; a server in another zone lists in its own clock.
      `TimesGMT ${options.timezone === undefined ? 'on' : 'off'}`,
      ...(options.maxPerUser === undefined
        ? []
        : [`MaxClientsPerUser ${options.maxPerUser} "Too many users, sorry"`]),
      '<Limit WRITE>',
      '  DenyAll',
      '</Limit>',
      ...(tls === undefined
        ? []
        : [
            'LoadModule mod_tls.c',
            'TLSEngine on',
            'TLSRequired on',
            `TLSRSACertificateFile ${tls.certificates.certFile}`,
            `TLSRSACertificateKeyFile ${tls.certificates.keyFile}`,
            'TLSProtocol TLSv1.2 TLSv1.3',
            'TLSVerifyClient off',
            `TLSLog ${dir}/tls.log`,
            ...(tls.mode === 'implicit' ? ['TLSOptions UseImplicitSSL'] : []),
          ]),
    ];
    const configFile = join(dir, 'proftpd.conf');
    await writeFile(configFile, config.join('\n') + '\n', { mode: 0o600 });
    return { binary: proftpdBinary, args: ['--nodaemon', '--config', configFile], user, password };
  });
}

interface Launch {
  readonly binary: string;
  readonly args: readonly string[];
  readonly user: string;
  readonly password: string;
}

/** Starts a server in the foreground on fresh ports until it greets; retries a lost port. */
async function launchUntilGreeting(
  name: string,
  dir: string,
  options: UnpackedServerOptions,
  prepare: (port: number, pasvMin: number) => Promise<Launch>,
): Promise<RunningFtpServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const pasvMin = await freePort();
    const launch = await prepare(port, pasvMin);
    const env = { ...process.env, TZ: options.timezone ?? 'UTC' };
    const child = spawn(launch.binary, [...launch.args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk.toString());
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    const ready = await waitForGreeting(port, child, 10_000, options.tls?.mode === 'implicit');
    if (ready === true)
      return {
        host: '127.0.0.1',
        port,
        user: launch.user,
        password: launch.password,
        async stop() {
          await stopProcess(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    await stopProcess(child);
    if (attempt >= 3 || !/address already in use|bind/i.test(output + ready)) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`${name} did not start: ${ready}; output: ${output.trim() || '(empty)'}`);
    }
  }
}
