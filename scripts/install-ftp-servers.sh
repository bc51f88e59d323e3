#!/usr/bin/env bash
# Installs the real FTP servers of the integration tests: vsftpd through apt, and pure-ftpd and
# proftpd unpacked into /opt/ftp-ingest-servers/<name>. Debian's FTP server packages each
# provide and conflict with `ftp-server`, so apt can install only one of them; the others are
# fetched with `apt-get download` and unpacked with `dpkg-deb -x`, which runs no maintainer
# script, so no daemon of theirs ever starts on port 21. The tests run every server in the
# foreground on loopback with a config of their own.
set -euo pipefail

servers_dir=/opt/ftp-ingest-servers

if [ "$(id -u)" -ne 0 ]; then
  echo "install-ftp-servers.sh: must run as root (apt-get and the test user need it)" >&2
  exit 1
fi

if ! command -v vsftpd >/dev/null 2>&1 && [ ! -x /usr/sbin/vsftpd ]; then
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d exit 101 tells invoke-rc.d not to start services while installing.
  policy=/usr/sbin/policy-rc.d
  created_policy=no
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created_policy=yes
  fi
  trap '[ "$created_policy" = yes ] && rm -f "$policy"' EXIT
  apt-get update
  apt-get install -y --no-install-recommends vsftpd
fi

# In case a daemon started anyway (no policy-rc.d honoured, or installed earlier).
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet vsftpd 2>/dev/null; then
  systemctl stop vsftpd || true
  systemctl disable vsftpd >/dev/null 2>&1 || true
fi
if command -v service >/dev/null 2>&1; then service vsftpd stop >/dev/null 2>&1 || true; fi
for pid in $(pgrep -x vsftpd || true); do
  # Only the system daemon reads /etc/vsftpd.conf; test servers pass a config of their own.
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qE '^(/usr/sbin/)?vsftpd( /etc/vsftpd.conf)? *$'; then
    kill "$pid" || true
  fi
done

dpkg-query -W vsftpd 2>/dev/null || true
test -x /usr/sbin/vsftpd || { echo "install-ftp-servers.sh: vsftpd is still missing" >&2; exit 1; }
echo "vsftpd ready at /usr/sbin/vsftpd"

# unpack NAME BINARY LIBRARIES PACKAGES: installs the libraries with apt (they conflict with
# nothing), then unpacks the packages into $servers_dir/NAME unless BINARY is already there.
unpack() {
  local name=$1 binary=$2 libraries=$3 packages=$4
  local target="$servers_dir/$name"
  if [ ! -x "$target/$binary" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # shellcheck disable=SC2086 # word splitting of the package lists is intended
    apt-get install -y --no-install-recommends $libraries
    local download
    download=$(mktemp -d)
    # _apt downloads into the folder; it must be able to write there.
    chmod 777 "$download"
    # shellcheck disable=SC2086
    (cd "$download" && apt-get download $packages)
    rm -rf "$target.partial"
    mkdir -p "$target.partial"
    for deb in "$download"/*.deb; do dpkg-deb -x "$deb" "$target.partial"; done
    rm -rf "$download" "$target"
    mv "$target.partial" "$target"
  fi
  # A library missing at run time would only show as a server that never greets: fail here.
  if ldd "$target/$binary" | grep -q 'not found'; then
    ldd "$target/$binary" >&2
    echo "install-ftp-servers.sh: $name is missing libraries (see above)" >&2
    exit 1
  fi
  echo "$name ready at $target/$binary"
}

unpack pure-ftpd usr/sbin/pure-ftpd \
  'libcap2 libcrypt1 libpam0g libsodium23 libssl3' \
  'pure-ftpd'
unpack proftpd usr/sbin/proftpd \
  'libacl1 libcap2 libcrypt1 libhiredis0.14 libidn2-0 libmemcached11 libmemcachedutil2 libpam0g libpcre2-8-0 libpcre2-posix3 libsodium23 libssl3 zlib1g' \
  'proftpd-core proftpd-mod-crypto'
"$servers_dir/proftpd/usr/sbin/proftpd" --version
if ldd "$servers_dir/proftpd/usr/lib/proftpd/mod_tls.so" | grep -q 'not found'; then
  echo "install-ftp-servers.sh: proftpd's mod_tls is missing libraries" >&2
  exit 1
fi
command -v openssl >/dev/null 2>&1 || apt-get install -y --no-install-recommends openssl
# The benchmark smoke test measures peak RSS with GNU time and reads the FTP wire limit with curl.
[ -x /usr/bin/time ] || apt-get install -y --no-install-recommends time
command -v curl >/dev/null 2>&1 || apt-get install -y --no-install-recommends curl
