# CI-wrapper checks: actionlint (pinned) lints .github/workflows/*.yml, and
# runs shellcheck on every run: script when shellcheck is installed.
# Idempotent: installs only what is missing or at another version.
actionlint_version=v1.7.12
actionlint_bin="$(go env GOPATH)/bin/actionlint"
if ! "$actionlint_bin" -version 2>/dev/null | grep -qx "${actionlint_version}"; then
	go install "github.com/rhysd/actionlint/cmd/actionlint@${actionlint_version}"
fi
if ! command -v shellcheck >/dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
fi
case ":$PATH:" in
*":$(go env GOPATH)/bin:"*) ;;
*) export PATH="$PATH:$(go env GOPATH)/bin" ;;
esac
