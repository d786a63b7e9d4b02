#!/usr/bin/env bash
# Makes sure the database servers the tests use are running on 127.0.0.1:
# PostgreSQL on 5432 (role root, trust auth) and MariaDB on 3306 (root, no
# password). Starts them when they are installed but stopped, installs them from
# Debian's packages when they are missing. Under CI=true it fails when a server
# is still unreachable; otherwise the tests that need it skip, loudly.
set -u

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  for _ in $(seq 1 60); do up "$1" && return 0; sleep 0.5; done
  return 1
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_postgres() {
  up 5432 && return 0
  echo "services: starting PostgreSQL"
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fresh=1
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  wait_for 5432 || return 1
  if [ "${fresh:-0}" = 1 ]; then
    hba=/etc/postgresql/$ver/main/pg_hba.conf
    as_root sed -i 's/^\(host\s\+all\s\+all\s\+127.0.0.1\/32\s\+\)\S\+/\1trust/' "$hba"
    as_root su postgres -c "psql -qc \"CREATE ROLE root SUPERUSER LOGIN\"" || true
    as_root su postgres -c "createdb -O root test; createdb -O root root" || true
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
  fi
}

ensure_mariadb() {
  up 3306 && return 0
  echo "services: starting MariaDB"
  if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
    fresh=1
  fi
  as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld 2>/dev/null
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  wait_for 3306 || return 1
  if [ "${fresh:-0}" = 1 ]; then
    as_root mariadb -e "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD(''); CREATE USER IF NOT EXISTS root@'127.0.0.1'; GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION; CREATE DATABASE IF NOT EXISTS test; SET GLOBAL local_infile = 1;" || true
  fi
}

status=0
ensure_postgres || { echo "services: PostgreSQL is not reachable on 127.0.0.1:5432"; status=1; }
ensure_mariadb || { echo "services: MariaDB is not reachable on 127.0.0.1:3306"; status=1; }
if [ "$status" != 0 ] && [ "${CI:-}" = true ]; then
  echo "services: CI=true and a database server is missing: failing" >&2
  exit 1
fi
exit 0
