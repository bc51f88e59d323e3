/**
 * Locks and claims this process holds on storage, so that a CLI stopped with Ctrl-C gives them
 * back before it exits instead of leaving the source locked for a minute and a blob `busy` for
 * ten. Whoever takes one registers its release and forgets it once released the normal way.
 * A process killed outright (SIGKILL, a lost machine) releases nothing: the lease lapses and
 * the claim goes stale, as before.
 */
const held = new Set<() => Promise<void>>();
let shuttingDown = false;

/**
 * Registers `release` until the returned function is called; that function answers whether
 * the caller still holds it (false once a shutdown has released it). During a shutdown, a
 * newly taken lease is released at once.
 */
export function holdUntilReleased(release: () => Promise<void>): () => boolean {
  if (shuttingDown) {
    release().catch(() => undefined);
    return () => false;
  }
  held.add(release);
  return () => held.delete(release);
}

/** Releases everything held now or taken from now on, waiting at most `timeoutMs` for them. */
export async function releaseAllHeld(timeoutMs: number): Promise<number> {
  shuttingDown = true;
  const releases = [...held];
  held.clear();
  const settled = Promise.allSettled(releases.map((release) => release()));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([settled, timeout]);
  clearTimeout(timer);
  return releases.length;
}
