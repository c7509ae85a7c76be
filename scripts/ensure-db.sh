#!/usr/bin/env bash
# Makes sure a MariaDB or MySQL server answers at DB_HOST:DB_PORT (default
# 127.0.0.1:3306) for DB_USER (default root) with DB_PASSWORD (default
# empty). When nothing answers on the local machine, installs Debian's
# mariadb-server if needed, starts it, and lets root log in over TCP
# without a password, as the test suite and the demo expect.
set -euo pipefail

host="${DB_HOST:-127.0.0.1}"
port="${DB_PORT:-3306}"
user="${DB_USER:-root}"
password="${DB_PASSWORD:-}"

say() { echo "ensure-db: $*" >&2; }

client() {
    if command -v mariadb >/dev/null 2>&1; then echo mariadb; elif command -v mysql >/dev/null 2>&1; then echo mysql; fi
}

can_login() {
    local bin
    bin="$(client)"
    [[ -n "$bin" ]] || return 1
    MYSQL_PWD="$password" "$bin" --protocol=TCP -h "$host" -P "$port" -u "$user" -e 'SELECT 1' >/dev/null 2>&1
}

if can_login; then
    say "database server at $host:$port is reachable"
    exit 0
fi

if [[ "$host" != "127.0.0.1" && "$host" != "localhost" ]]; then
    say "cannot log in to $host:$port as $user; start that server or fix DB_HOST, DB_PORT, DB_USER and DB_PASSWORD"
    exit 1
fi

if [[ ! -x /usr/sbin/mariadbd ]]; then
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        say "no database server found and cannot install one (needs root and apt-get); install MariaDB 10.6+ or MySQL 8.0 and rerun"
        exit 1
    fi
    say "installing mariadb-server"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client >&2
fi

if ! pgrep -x mariadbd >/dev/null 2>&1 && ! pgrep -x mysqld >/dev/null 2>&1; then
    say "starting mariadbd"
    install -d -o mysql -g mysql /run/mysqld
    if [[ ! -d /var/lib/mysql/mysql ]]; then
        mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
    fi
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
fi

for _ in $(seq 1 60); do
    if mariadb-admin ping >/dev/null 2>&1; then break; fi
    sleep 1
done

if ! can_login && [[ "$user" == root && -z "$password" ]]; then
    # A fresh Debian install lets root in only through the Unix socket.
    say "allowing root to log in over TCP without a password"
    mariadb -u root -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')" || true
fi

if can_login; then
    say "database server at $host:$port is ready"
else
    say "started a server but cannot log in to $host:$port as $user; check DB_USER and DB_PASSWORD"
    exit 1
fi
