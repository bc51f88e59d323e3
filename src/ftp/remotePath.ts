/**
 * Joins the source root and a path relative to it into the path sent to the server. Only slashes
 * are normalised: names keep spaces, `#`, `%` and `?` as they are, since FTP takes them literally.
 * A relative root stays relative, i.e. resolved by the server from the login directory.
 */
export function absolutePath(root: string, relative: string): string {
  const rootPart = root.replace(/\/+$/, '');
  const relativePart = relative.replace(/^\/+/, '').replace(/\/+$/, '');
  if (relativePart === '') return rootPart === '' ? '/' : rootPart;
  if (rootPart === '' && root.startsWith('/')) return '/' + relativePart;
  if (rootPart === '') return relativePart;
  return `${rootPart}/${relativePart}`;
}

/** `a/b` under `a`, joined with `/` and never a leading slash: the form RemoteFile.path uses. */
export function childPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}
