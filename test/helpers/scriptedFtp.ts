import { createServer, type Server, type Socket } from 'node:net';

/** One entry of a scripted folder listing. */
export interface ScriptedFile {
  /** Absolute path on the fake server, e.g. `/in/a.csv`; any bytes a real server could hold. */
  readonly path: string;
  content: Buffer;
  /** Size to print in LIST instead of the real one (a lying or broken server). */
  listedSize?: string;
}

export interface ScriptedFtpOptions {
  readonly files: ScriptedFile[];
  /** Raw LIST text per folder, replacing the generated listing (malformed listings). */
  readonly rawListings?: ReadonlyMap<string, string>;
  /**
   * Date text of generated LIST lines. Default `Jan 15  2020`; `2026-12-03 10:00` is a form
   * basic-ftp parses but that carries no zone or usable meaning for ftp-ingest.
   */
  readonly listTime?: string;
  /** Answer MDTM with a time (UTC). Default: 502, as servers without MDTM do. */
  readonly mdtm?: Date;
  /** Every folder also holds a folder `again` that leads deeper forever. */
  readonly endlessFolders?: boolean;
}

/**
 * A tiny FTP server on loopback that says exactly what a test scripts: names no real server
 * would produce (`..`, backslashes, control characters), broken listings, endless folders.
 * Plain FTP, EPSV/PASV, LIST, RETR with REST, SIZE, MDTM; one data connection at a time.
 */
export class ScriptedFtpServer {
  readonly host = '127.0.0.1';
  readonly user = 'scripted';
  readonly password = 'scripted-password';
  /** Every command received, PASS masked. */
  readonly commands: string[] = [];
  /** The control connection (numbered from 1 as they open) each entry of `commands` came on. */
  readonly commandSessions: number[] = [];
  #sessions = 0;
  #server?: Server;
  readonly #sockets = new Set<Socket>();

  constructor(readonly options: ScriptedFtpOptions) {}

  get port(): number {
    const address = this.#server?.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  async start(): Promise<this> {
    this.#server = createServer((socket) => this.#session(socket));
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server?.close(resolve));
  }

  #session(control: Socket): void {
    this.#track(control);
    const session = ++this.#sessions;
    let cwd = '/';
    let restAt = 0;
    let loggedIn = false;
    let data: Promise<Socket> | undefined;
    const reply = (text: string): void => void control.write(text + '\r\n');
    const openPassive = async (): Promise<number> => {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      data = new Promise((resolve) =>
        server.once('connection', (socket) => {
          this.#track(socket);
          server.close();
          resolve(socket);
        }),
      );
      const address = server.address();
      return typeof address === 'object' && address !== null ? address.port : 0;
    };
    const send = async (body: Buffer): Promise<void> => {
      const socket = await data;
      data = undefined;
      if (socket === undefined) return reply('425 Use EPSV first');
      reply('150 Opening data connection');
      socket.end(body, () => reply('226 Transfer complete'));
    };
    const handle = async (line: string): Promise<void> => {
      const [verb = '', ...rest] = line.split(' ');
      const arg = rest.join(' ');
      this.commands.push(verb.toUpperCase() === 'PASS' ? 'PASS ***' : line);
      this.commandSessions.push(session);
      const path = resolve(cwd, arg.replace(/^-a\s*/, ''));
      // A hostile name is looked up as sent before any `..` in it is interpreted.
      const literal = arg.startsWith('/') ? arg : `${cwd === '/' ? '' : cwd}/${arg}`;
      const fileAt = () => this.#file(literal) ?? this.#file(path);
      switch (verb.toUpperCase()) {
        case 'USER':
          return reply('331 Password required');
        case 'PASS':
          loggedIn = arg === this.password;
          return reply(loggedIn ? '230 Logged in' : '530 Login incorrect');
        case 'QUIT':
          reply('221 Bye');
          return void control.end();
      }
      if (!loggedIn) return reply('530 Please log in');
      switch (verb.toUpperCase()) {
        case 'FEAT':
          return reply('211-Features:\r\n SIZE\r\n REST STREAM\r\n EPSV\r\n211 End');
        case 'SYST':
          return reply('215 UNIX Type: L8');
        case 'OPTS':
        case 'TYPE':
        case 'STRU':
        case 'NOOP':
          return reply('200 OK');
        case 'PWD':
          return reply(`257 "${cwd.replace(/"/g, '""')}" is the current directory`);
        case 'CWD':
          if (!this.#isFolder(path)) return reply('550 No such folder');
          cwd = path;
          return reply('250 OK');
        case 'CDUP':
          cwd = resolve(cwd, '..');
          return reply('250 OK');
        case 'EPSV':
          return reply(`229 Entering Extended Passive Mode (|||${await openPassive()}|)`);
        case 'PASV': {
          const port = await openPassive();
          return reply(`227 Entering Passive Mode (127,0,0,1,${port >> 8},${port & 255})`);
        }
        case 'REST':
          restAt = Number(arg);
          return reply(`350 Restarting at ${restAt}`);
        case 'SIZE': {
          const file = fileAt();
          return reply(file ? `213 ${file.content.length}` : '550 No such file');
        }
        case 'MDTM': {
          if (this.options.mdtm === undefined) return reply('502 Command not implemented');
          const stamp = this.options.mdtm.toISOString().replace(/[-:T]/g, '').slice(0, 14);
          return reply(fileAt() ? `213 ${stamp}` : '550 No such file');
        }
        case 'LIST':
          return send(Buffer.from(this.#listing(path), 'utf8'));
        case 'RETR': {
          const file = fileAt();
          const offset = restAt;
          restAt = 0;
          if (file === undefined) return reply('550 No such file');
          return send(file.content.subarray(offset));
        }
        default:
          return reply('502 Command not implemented');
      }
    };
    let buffered = '';
    let queue = Promise.resolve();
    control.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        queue = queue.then(() => handle(line)).catch(() => void control.destroy());
      }
    });
    reply('220 scripted test server');
  }

  #file(path: string): ScriptedFile | undefined {
    return this.options.files.find((file) => file.path === path);
  }

  #isFolder(path: string): boolean {
    if (path === '/') return true;
    if (this.options.endlessFolders && path.endsWith('/again')) return true;
    return this.options.files.some((file) => file.path.startsWith(path + '/'));
  }

  #listing(folder: string): string {
    const raw = this.options.rawListings?.get(folder);
    if (raw !== undefined) return raw;
    const time = this.options.listTime ?? 'Jan 15  2020';
    const prefix = folder === '/' ? '/' : folder + '/';
    const lines = new Map<string, string>();
    for (const file of this.options.files) {
      if (!file.path.startsWith(prefix)) continue;
      const [name, ...deeper] = file.path.slice(prefix.length).split('/');
      lines.set(
        name,
        deeper.length > 0
          ? `drwxr-xr-x 1 owner group 0 ${time} ${name}`
          : `-rw-r--r-- 1 owner group ${file.listedSize ?? file.content.length} ${time} ${name}`,
      );
    }
    if (this.options.endlessFolders) lines.set('again', `drwxr-xr-x 1 owner group 0 ${time} again`);
    return [...lines.values()].map((line) => line + '\r\n').join('');
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
  }
}

/** Resolves `path` against `cwd` the way a Unix server would, without touching any disk. */
function resolve(cwd: string, path: string): string {
  const parts = (path.startsWith('/') ? path : `${cwd}/${path}`).split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}
