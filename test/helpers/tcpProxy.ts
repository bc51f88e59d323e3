import { createServer, connect, type Server, type Socket } from 'node:net';

/** How a data connection is cut: `reset` like a dead link, `fin` like a middlebox that hangs up. */
export type CutStyle = 'reset' | 'fin';

/** One planned fault: after `afterBytes` bytes of a download, drop its data or control link. */
export interface Cut {
  readonly afterBytes: number;
  readonly connection: 'data' | 'control';
  readonly style: CutStyle;
}

export interface ProxyOptions {
  readonly targetHost?: string;
  readonly targetPort: number;
}

/**
 * An FTP-aware TCP proxy on loopback in front of a real server. It relays control connections
 * and rewrites each EPSV and PASV reply so the data connection runs through it too, which lets a
 * test cut either link at an exact byte, stall it, or count what was sent again.
 */
export class FtpProxy {
  /** Commands clients sent, e.g. `REST 1048576`, `RETR /a.bin`; PASS is masked. */
  readonly commands: string[] = [];
  /** Bytes relayed server→client on data connections that served a RETR. */
  retrievedBytes = 0;
  /** Control connections accepted so far. */
  connections = 0;
  /** Cuts still to apply, each to the next download that reaches its byte. */
  readonly cuts: Cut[] = [];
  /** While set, downloads are relayed at this rate, so a run lasts long enough to overlap. */
  bytesPerSecond?: number;
  /** While set, replies and data stop flowing once a client sends a command matching it. */
  stallOn?: RegExp;
  /** Stalled sockets, released (destroyed) by `stop`. */
  readonly #sockets = new Set<Socket>();
  readonly #servers = new Set<Server>();
  #server?: Server;
  #port = 0;

  constructor(private readonly options: ProxyOptions) {}

  get port(): number {
    return this.#port;
  }

  async start(): Promise<this> {
    this.#server = await this.#listen((client) => this.#control(client));
    this.#port = portOf(this.#server);
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all(
      [...this.#servers].map((server) => new Promise((resolve) => server.close(resolve))),
    );
  }

  #control(client: Socket): void {
    this.connections += 1;
    const upstream = connect(this.options.targetPort, this.options.targetHost ?? '127.0.0.1');
    const session: Session = {
      client,
      upstream,
      retrieving: false,
      stalled: false,
      restAt: 0,
      offset: 0,
    };
    this.#track(client, upstream);
    let fromClient = '';
    client.on('data', (chunk: Buffer) => {
      if (session.stalled) return;
      fromClient += chunk.toString('latin1');
      for (let end = fromClient.indexOf('\n'); end >= 0; end = fromClient.indexOf('\n')) {
        const line = fromClient.slice(0, end).replace(/\r$/, '');
        fromClient = fromClient.slice(end + 1);
        this.commands.push(/^PASS /i.test(line) ? 'PASS ***' : line);
        const rest = /^REST (\d+)/i.exec(line);
        if (rest !== null) session.restAt = Number(rest[1]);
        if (/^RETR /i.test(line)) {
          session.retrieving = true;
          session.offset = session.restAt;
          session.restAt = 0;
        }
        if (/^(LIST|MLSD|NLST|EPSV|PASV)/i.test(line)) session.retrieving = false;
        if (this.stallOn?.test(line)) session.stalled = true;
      }
      if (!session.stalled) upstream.write(chunk);
    });
    let fromServer = '';
    upstream.on('data', (chunk: Buffer) => {
      if (session.stalled) return;
      fromServer += chunk.toString('latin1');
      const complete = fromServer.lastIndexOf('\n') + 1;
      if (complete === 0) return;
      const lines = fromServer.slice(0, complete);
      fromServer = fromServer.slice(complete);
      void this.#rewrite(lines, session).then((text) => {
        if (!client.destroyed) client.write(Buffer.from(text, 'latin1'));
      });
    });
  }

  /** Replaces the server's passive port with one of ours that relays to it. */
  async #rewrite(lines: string, session: Session): Promise<string> {
    const epsv = /^229 (.*)\(\|\|\|(\d+)\|\)/m.exec(lines);
    if (epsv !== null) {
      const port = await this.#dataRelay(Number(epsv[2]), session);
      return lines.replace(`(|||${epsv[2]}|)`, `(|||${port}|)`);
    }
    const pasv = /^227 .*?(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/m.exec(lines);
    if (pasv !== null) {
      const port = await this.#dataRelay(Number(pasv[5]) * 256 + Number(pasv[6]), session);
      return lines.replace(pasv.slice(1).join(','), `127,0,0,1,${port >> 8},${port & 255}`);
    }
    return lines;
  }

  async #dataRelay(targetPort: number, session: Session): Promise<number> {
    const server = await this.#listen((client) => {
      // One data connection per passive reply, as FTP has it.
      this.#servers.delete(server);
      server.close();
      const upstream = connect(targetPort, this.options.targetHost ?? '127.0.0.1');
      this.#track(client, upstream);
      let relayed: number | undefined;
      let cutDone = false;
      upstream.on('data', (chunk: Buffer) => {
        if (session.stalled || cutDone) return;
        if (!session.retrieving) return void client.write(chunk);
        // Cuts are file offsets: a resumed download counts from where it resumed. The data
        // connection opens before RETR is sent, so the offset is read at the first byte.
        relayed ??= session.offset;
        const cut = this.cuts[0];
        if (cut !== undefined && relayed + chunk.length >= cut.afterBytes) {
          this.cuts.shift();
          cutDone = true;
          const head = chunk.subarray(0, Math.max(0, cut.afterBytes - relayed));
          this.retrievedBytes += head.length;
          client.write(head);
          this.#cut(cut, session, client, upstream);
          return;
        }
        relayed += chunk.length;
        this.retrievedBytes += chunk.length;
        client.write(chunk);
        if (this.bytesPerSecond !== undefined) {
          upstream.pause();
          setTimeout(() => upstream.resume(), (chunk.length / this.bytesPerSecond) * 1000);
        }
      });
      client.on('data', (chunk: Buffer) => upstream.write(chunk));
    });
    return portOf(server);
  }

  #cut(cut: Cut, session: Session, client: Socket, upstream: Socket): void {
    const sockets = cut.connection === 'data' ? [client, upstream] : [session.client, upstream];
    if (cut.connection === 'control') sockets.push(session.upstream, client);
    for (const socket of sockets) {
      if (cut.style === 'fin' && socket === client) socket.end();
      else socket.resetAndDestroy();
    }
  }

  #track(a: Socket, b: Socket): void {
    for (const socket of [a, b]) {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      // A peer that vanished is what these tests are about: never an unhandled error.
      socket.on('error', () => undefined);
    }
    // Half-close, never destroy: bytes still queued for the other side must reach it, or the
    // proxy itself would truncate transfers that no test meant to cut.
    const end = (from: Socket, to: Socket) => {
      const close = () => {
        if (!to.destroyed) to.end();
      };
      from.on('end', close);
      from.on('close', close);
    };
    end(a, b);
    end(b, a);
  }

  async #listen(onConnection: (socket: Socket) => void): Promise<Server> {
    const server = createServer(onConnection);
    this.#servers.add(server);
    server.on('close', () => this.#servers.delete(server));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  }
}

interface Session {
  readonly client: Socket;
  readonly upstream: Socket;
  /** The next data connection carries a RETR (not a listing). */
  retrieving: boolean;
  stalled: boolean;
  /** The offset of the last REST, for the next RETR. */
  restAt: number;
  /** Where in the file the current RETR started. */
  offset: number;
}

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** A small seeded generator (mulberry32), so a failing trial can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
