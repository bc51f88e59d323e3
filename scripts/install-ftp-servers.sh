#!/usr/bin/env bash
# Installs vsftpd for the FTP integration tests. Debian's package starts a daemon on port 21
# from its postinst; the tests run their own vsftpd on loopback, so that one is stopped.
set -euo pipefail

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
  if ! apt-get install -y --no-install-recommends vsftpd; then
    apt-get update
    apt-get install -y --no-install-recommends vsftpd
  fi
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
