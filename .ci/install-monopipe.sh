#!/usr/bin/env bash
# Installs, at PATH, the monopipe binary that a CI wrapper runs under
# `dagger run` instead of compiling the Dagger module (see the README,
# "Starting warm on CI runners").
#
#   MONOPIPE_VERSION=X.Y.Z MONOPIPE_SHA256=<64 hex> .ci/install-monopipe.sh PATH
#
# Pinned (both set in the wrapper): downloads the release asset
# monopipe_X.Y.Z_<os>_<arch> of the tag monopipe/vX.Y.Z and checks its
# SHA-256 against the pin BEFORE it is made executable or run; a mismatch
# refuses and leaves nothing at PATH. Unpinned (both empty): builds
# ./cmd/monopipe from the checkout with `go build` (no module compile).
set -euo pipefail

out=${1:?usage: install-monopipe.sh PATH}
version=${MONOPIPE_VERSION:-}
want=${MONOPIPE_SHA256:-}
releases=${MONOPIPE_RELEASES_URL:-https://github.com/monopipe/monopipe/releases/download}

if [ -z "$version" ]; then
	if [ -n "$want" ]; then
		echo "install-monopipe: MONOPIPE_SHA256 is set but MONOPIPE_VERSION is empty: set both (a pinned release) or neither (build from the checkout)" >&2
		exit 1
	fi
	echo "install-monopipe: no pinned release (MONOPIPE_VERSION is empty): go build ./cmd/monopipe from this checkout"
	go build -o "$out" ./cmd/monopipe
	"$out" version
	exit 0
fi

if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
	echo "install-monopipe: MONOPIPE_VERSION $version is not a version X.Y.Z" >&2
	exit 1
fi
if ! [[ $want =~ ^[0-9a-f]{64}$ ]]; then
	echo "install-monopipe: MONOPIPE_VERSION $version has no pinned checksum: MONOPIPE_SHA256 must be the asset's SHA-256 (64 lowercase hex) from the release's SHA256SUMS" >&2
	exit 1
fi

case "$(uname -s)" in
Linux) os=linux ;;
Darwin) os=darwin ;;
*) echo "install-monopipe: no release asset for $(uname -s)" >&2; exit 1 ;;
esac
case "$(uname -m)" in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) echo "install-monopipe: no release asset for $(uname -m)" >&2; exit 1 ;;
esac
asset="monopipe_${version}_${os}_${arch}"

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# The tag monopipe/vX.Y.Z has a slash: escaped as %2F in the URL.
curl -fsSL --retry 3 -o "$tmp" "$releases/monopipe%2Fv$version/$asset"
if command -v sha256sum >/dev/null; then
	got=$(sha256sum "$tmp" | cut -d' ' -f1)
else # macOS before 15
	got=$(shasum -a 256 "$tmp" | cut -d' ' -f1)
fi
if [ "$got" != "$want" ]; then
	echo "install-monopipe: $asset has SHA-256 $got but the wrapper pins $want: refusing to run it" >&2
	exit 1
fi
install -m 0755 "$tmp" "$out"
"$out" version
