# Publish tests (pipelines/publish/npm) run a real Verdaccio npm registry.
# Idempotent: installs the pinned version into /opt/verdaccio only when it is
# not there yet. 6.8.0 is the newest release that runs on Debian's Node.js 20
# (6.9+ need 22). verdaccio-audit asks for node-fetch by the dist-tag "cjs",
# which some registry mirrors do not carry, so the override pins the version
# that tag points at (2.7.0).
VERDACCIO_VERSION=6.8.0
if [ "$(verdaccio --version 2>/dev/null)" != "v${VERDACCIO_VERSION}" ]; then
	mkdir -p /opt/verdaccio
	cat >/opt/verdaccio/package.json <<JSON
{
  "private": true,
  "dependencies": { "verdaccio": "${VERDACCIO_VERSION}" },
  "overrides": { "node-fetch": "2.7.0" }
}
JSON
	(cd /opt/verdaccio && npm install --no-audit --no-fund --omit=dev)
	ln -sf /opt/verdaccio/node_modules/.bin/verdaccio /usr/local/bin/verdaccio
fi
