#!/bin/sh
# Tests for semver-bump; prints "N passed, N failed" and fails if any did.
cd "$(dirname "$0")" || exit 2
passed=0
failed=0
check() { # want_status want_output args...
	want_status=$1 want=$2
	shift 2
	got=$(sh ./semver-bump "$@" 2>&1)
	status=$?
	if [ "$status" = "$want_status" ] && [ "$got" = "$want" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: semver-bump $*: got [$status] '$got', want [$want_status] '$want'"
	fi
}
check 0 1.4.3 patch 1.4.2
check 0 v1.5.0 minor v1.4.2
check 0 2.0.0 major 1.4.2
check 0 1.0.0 patch 1.0.0-rc.1+build.5
check 0 0.10.0 minor 0.9.9
check 0 1.3.0 minor 1.3.0-beta
check 0 1.4.0 minor 1.3.1-beta
check 0 2.0.0 major 2.0.0-alpha.2
check 0 3.0.0 major 2.1.0-alpha
check 0 1.2.4 patch 1.2.3+build.7
check 1 "semver-bump: 1.2 is not a semantic version" patch 1.2
check 1 "semver-bump: 1.2.3.4 is not a semantic version" patch 1.2.3.4
check 1 "semver-bump: 1.x.3 is not a semantic version" patch 1.x.3
check 2 "usage: semver-bump major|minor|patch VERSION" huge 1.2.3
check 2 "usage: semver-bump major|minor|patch VERSION" patch
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
