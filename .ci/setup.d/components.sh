# Native runs of the example components' tests (components/*): Go and Node
# are on the machine; pytest comes from Debian (PyPI is not reachable here),
# so the python components' tests run as `/usr/bin/python3 -m pytest`
# (python3 on PATH may be a pyenv interpreter without pytest).
# Idempotent: installs only when Debian's python3 lacks pytest.
if ! /usr/bin/python3 -m pytest --version >/dev/null 2>&1; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pytest >/dev/null
fi
# components/pgcount's tests need a database: components_test.go starts a
# throwaway PostgreSQL from Debian's binaries (internal/pgtest), as the
# postgres user the package creates. Idempotent: installs only when no
# initdb is there.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
