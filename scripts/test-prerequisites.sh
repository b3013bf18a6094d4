#!/usr/bin/env bash
# Makes sure the test suite's outside helpers are present: the jsonnet binary and a PostgreSQL server with a `test` database.
# Never fails the run: what it cannot provide, the suite skips with a printed reason.
set -u

if ! command -v jsonnet >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test prerequisites: installing jsonnet (Debian package)"
    (apt-get install -y -qq jsonnet >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq jsonnet >/dev/null 2>&1)) \
      || echo "test prerequisites: could not install jsonnet; template rendering tests will be skipped"
  else
    echo "test prerequisites: jsonnet not found (apt-get install jsonnet); template rendering tests will be skipped"
  fi
fi

# The BrowserID differential oracle (test/oracle): Mozilla's libraries in their own package, installed without their
# install script, which fails on Node 20, then packaged by hand (test/oracle/README.md).
oracle="$(cd "$(dirname "$0")/.." && pwd)/test/oracle"
if [ ! -f "$oracle/node_modules/browserid-crypto/libs/all.js" ] || [ ! -f "$oracle/node_modules/browserid-local-verify/package.json" ]; then
  echo "test prerequisites: installing the BrowserID oracle (test/oracle)"
  (cd "$oracle" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null 2>&1 \
    && node node_modules/browserid-crypto/scripts/package.js >/dev/null 2>&1 \
    && { npm rebuild bignum --loglevel=error >/dev/null 2>&1 || true; }) \
    || echo "test prerequisites: could not install the BrowserID oracle; differential tests will be skipped"
fi

if [ -n "${TEST_DATABASE_URL:-}" ]; then exit 0; fi

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }
if command -v pg_isready >/dev/null 2>&1 && ! pg_up && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "test prerequisites: starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do pg_up && break; sleep 0.5; done
fi
if command -v pg_isready >/dev/null 2>&1 && pg_up && [ "$(id -u)" = "0" ] && command -v runuser >/dev/null 2>&1; then
  # Trust local TCP connections and make the `test` database, where the machine is not set up that way.
  if ! psql -w -h 127.0.0.1 -U postgres -d postgres -Atc "select 1" >/dev/null 2>&1; then
    hba=$(runuser -u postgres -- psql -Atc "show hba_file" 2>/dev/null)
    if [ -n "$hba" ] && ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
      sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
      runuser -u postgres -- psql -Atc "select pg_reload_conf()" >/dev/null 2>&1
    fi
  fi
  if ! psql -w -h 127.0.0.1 -U postgres -d test -Atc "select 1" >/dev/null 2>&1; then
    runuser -u postgres -- createdb test >/dev/null 2>&1 || true
  fi
fi
exit 0
