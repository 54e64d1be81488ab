package ciconfig

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var repoRoot = filepath.Join("..", "..")

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func workflows(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows found: %v", err)
	}
	return files
}

// TestRepositoryWrappers checks the files this repository ships.
func TestRepositoryWrappers(t *testing.T) {
	for _, f := range workflows(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckWorkflow(filepath.Base(f), data); err != nil {
			t.Error(err)
		}
	}
	if err := CheckCircleCI([]byte(read(t, ".circleci/config.yml"))); err != nil {
		t.Error(err)
	}
}

// edit applies one replacement to a real file's text, failing if the text
// to replace is absent (so a broken variant is never the original).
func edit(t *testing.T, text, old, new string) []byte {
	t.Helper()
	if !strings.Contains(text, old) {
		t.Fatalf("variant: %q not found", old)
	}
	return []byte(strings.Replace(text, old, new, 1))
}

func TestWorkflowRules(t *testing.T) {
	ci := read(t, ".github/workflows/ci.yml")
	tests := []struct {
		name, old, new, want string
	}{
		{"no permissions", "permissions:\n  contents: read\n  statuses: write\n  pull-requests: write\n", "", "job results: no least-privilege permissions"},
		{"write-all", "permissions:\n  contents: read\n  statuses: write\n  pull-requests: write\n", "permissions: write-all\n", "job results: no least-privilege permissions"},
		{"event payload in run", `echo "job results: $RESULTS"`, `echo "${{ github.event.pull_request.title }}"`, "job results step 1: ${{ }} inside run:"},
		{"head_ref in run", `--head="$GITHUB_SHA" \`, `--head="${{ github.head_ref }}" \`, "job ci step 5: ${{ }} inside run:"},
		{"action by tag", "dagger/dagger-for-github@27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77 # v8.4.1", "dagger/dagger-for-github@v8", "dagger/dagger-for-github@v8 is not pinned"},
		{"dagger latest", "DAGGER_VERSION: \"0.21.8\"", "DAGGER_VERSION: latest", `dagger-for-github version "latest", want 0.21.8`},
		{"checkout keeps token", "fetch-depth: 0\n          persist-credentials: false", "fetch-depth: 0", "must set persist-credentials: false"},
		{"no id-token for the OIDC job", "      packages: read # read the shared result cache\n      id-token: write # the OIDC token for AWS (pushes only; forks get none)\n", "      packages: read # read the shared result cache\n",
			"job ci step 5: passes --aws-web-identity-token but the job does not grant id-token: write"},
		{"id-token at the top", "permissions:\n  contents: read\n", "permissions:\n  id-token: write\n  contents: read\n", "id-token: write at the top"},
		{"wrong audience", "audience=sts.amazonaws.com", "audience=github", "requested with audience=sts.amazonaws.com"},
		{"token not masked", `echo "::add-mask::$AWS_WEB_IDENTITY_TOKEN"`, "true", "the OIDC token is not masked"},
		{"keys without OIDC", "secrets+=(--aws-role-arn=\"$AWS_ROLE_ARN\" --aws-web-identity-token=env://AWS_WEB_IDENTITY_TOKEN)", "true", "passes long-lived AWS keys without the OIDC default"},
		{"keys always", "AWS_ACCESS_KEY_ID: ${{ github.event_name == 'push' && vars.AWS_ROLE_ARN == '' && secrets.AWS_ACCESS_KEY_ID || '' }}",
			"AWS_ACCESS_KEY_ID: ${{ github.event_name == 'push' && secrets.AWS_ACCESS_KEY_ID || '' }}", "env AWS_ACCESS_KEY_ID: long-lived AWS keys must be the fallback only"},
		// Starting warm: the pinned binary, verified, never a module compile.
		{"version without checksum", `MONOPIPE_VERSION: ""`, `MONOPIPE_VERSION: "1.2.3"`, "MONOPIPE_VERSION 1.2.3 has no checksum"},
		{"short checksum", "MONOPIPE_VERSION: \"\"\n  MONOPIPE_SHA256: \"\"", "MONOPIPE_VERSION: \"1.2.3\"\n  MONOPIPE_SHA256: \"abc123\"", "MONOPIPE_VERSION 1.2.3 has no checksum"},
		{"checksum without version", `MONOPIPE_SHA256: ""`, `MONOPIPE_SHA256: "` + strings.Repeat("a", 64) + `"`, "MONOPIPE_SHA256 is set but MONOPIPE_VERSION is empty"},
		{"version not a version", "MONOPIPE_VERSION: \"\"\n  MONOPIPE_SHA256: \"\"", "MONOPIPE_VERSION: latest\n  MONOPIPE_SHA256: \"" + strings.Repeat("a", 64) + "\"", `MONOPIPE_VERSION "latest" is not a version`},
		{"no pin at all", "  MONOPIPE_SHA256: \"\"\n", "", "MONOPIPE_VERSION and MONOPIPE_SHA256 must be set"},
		{"run before install", "      - name: install monopipe (pinned release, checksum verified)\n        run: .ci/install-monopipe.sh \"$RUNNER_TEMP/monopipe\"\n      - name: monopipe ci\n",
			"      - name: monopipe ci\n", "job ci step 4: runs monopipe before .ci/install-monopipe.sh installed"},
		{"plan before install", "        run: .ci/install-monopipe.sh \"$RUNNER_TEMP/monopipe\"\n      # Planning", "        run: echo skipped\n      # Planning", "job plan step 4: runs monopipe before .ci/install-monopipe.sh installed"},
		{"no setup-go", "      - uses: actions/setup-go@44694675825211faa026b3c33043df3e48a5fa00 # v6.0.0\n        if: env.MONOPIPE_VERSION == ''\n        with:\n          go-version-file: go.mod\n      - name: install", "      - name: install",
			"job plan step 2: .ci/install-monopipe.sh builds monopipe when no release is pinned: set up Go first"},
		{"back to dagger call", `dagger run "$RUNNER_TEMP/monopipe" ci --source=.`, "dagger call ci --source=.", "runs `dagger call ci`, which compiles the Dagger module"},
		{"cache password to forks", "CACHE_PASSWORD: ${{ (github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository) && secrets.GITHUB_TOKEN || '' }}",
			"CACHE_PASSWORD: ${{ secrets.GITHUB_TOKEN }}", "env CACHE_PASSWORD: a secret in a workflow that pull requests run must be kept from forks"},
		{"cache without packages", "      packages: read # read the shared result cache\n      id-token: write # the OIDC token for AWS (pushes only; forks get none)\n    env:\n      REPORT_NAME",
			"      id-token: write # the OIDC token for AWS (pushes only; forks get none)\n    env:\n      REPORT_NAME", "job ci: passes --cache-password but grants no packages permission"},
		{"packages write for pull requests", "      packages: read # read the shared result cache\n      id-token: write # the OIDC token for AWS (pushes only; forks get none)\n    env:\n      REPORT_NAME",
			"      packages: write\n      id-token: write # the OIDC token for AWS (pushes only; forks get none)\n    env:\n      REPORT_NAME", "job ci: packages: write on a job that not only pushes to the default branch run"},
		{"trusted job on every push", "    if: vars.MONOPIPE_MODE != 'matrix' && github.event_name == 'push' && github.ref == format('refs/heads/{0}', github.event.repository.default_branch)\n",
			"    if: vars.MONOPIPE_MODE != 'matrix' && github.event_name == 'push'\n", "job ci-base: packages: write on a job that not only pushes to the default branch run"},
		{"packages write at the top", "permissions:\n  contents: read\n", "permissions:\n  packages: write\n  contents: read\n", "packages: write at the top"},
		{"role for pull requests", "AWS_ROLE_ARN: ${{ github.event_name == 'push' && vars.AWS_ROLE_ARN || '' }}", "AWS_ROLE_ARN: ${{ vars.AWS_ROLE_ARN }}",
			"env AWS_ROLE_ARN: AWS credentials in a workflow that pull requests run must be for pushes only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckWorkflow("ci.yml", edit(t, ci, tc.old, tc.new))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
	if err := CheckWorkflow("x.yml", []byte("jobs: [")); err == nil {
		t.Error("broken YAML passed")
	}
}

func TestReleaseWorkflowRules(t *testing.T) {
	rel := read(t, ".github/workflows/release.yml")
	tests := []struct {
		name, old, new, want string
	}{
		{"promote back to dagger call", `"$RUNNER_TEMP/monopipe" promote --source=.`, "dagger call promote --source=.", "job promote step 4: runs `dagger call promote`, which compiles the Dagger module"},
		{"release back to dagger call", `dagger run "$RUNNER_TEMP/monopipe" release --source=.`, "dagger call release --source=.", "job release step 5: runs `dagger call release`"},
		{"promote before install", "      - name: install monopipe (pinned release, checksum verified)\n        run: .ci/install-monopipe.sh \"$RUNNER_TEMP/monopipe\"\n      # Promote",
			"      # Promote", "job promote step 3: runs monopipe before .ci/install-monopipe.sh installed"},
		{"checksum without version", `MONOPIPE_SHA256: ""`, `MONOPIPE_SHA256: "` + strings.Repeat("f", 64) + `"`, "MONOPIPE_SHA256 is set but MONOPIPE_VERSION is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckWorkflow("release.yml", edit(t, rel, tc.old, tc.new))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestDeployRules breaks the deploy jobs' rules one at a time: the
// GitHub Environment, the concurrency group per environment without
// cancelling, and deployments: write only where a trusted job deploys.
func TestDeployRules(t *testing.T) {
	files := map[string]string{"deploy.yml": read(t, ".github/workflows/deploy.yml"), "ci.yml": read(t, ".github/workflows/ci.yml")}
	promoteEnv := "    environment:\n      name: ${{ inputs.to }}\n"
	promoteConc := "    concurrency:\n      group: deploy-${{ inputs.to }}\n      cancel-in-progress: false\n"
	tests := []struct {
		file, name, old, new, want string
	}{
		{"deploy.yml", "deployments: write at the top", "permissions:\n  contents: read\n", "permissions:\n  contents: read\n  deployments: write\n", "deployments: write at the top"},
		{"deploy.yml", "promote outside its environment", promoteEnv, "", "job promote: deploys to an environment but names no environment"},
		{"deploy.yml", "rollback outside its environment", "    environment:\n      name: ${{ inputs.env }}\n", "", "job rollback: deploys to an environment but names no environment"},
		{"deploy.yml", "environment as a plain name still needs its group", promoteEnv + promoteConc, "    environment: ${{ inputs.to }}\n",
			`job promote: environment ${{ inputs.to }}: concurrency group "", want "deploy-${{ inputs.to }}"`},
		{"deploy.yml", "group of another environment", "group: deploy-${{ inputs.to }}", "group: deploy-${{ inputs.from }}",
			`job promote: environment ${{ inputs.to }}: concurrency group "deploy-${{ inputs.from }}", want "deploy-${{ inputs.to }}"`},
		{"deploy.yml", "one group for every environment", "group: deploy-${{ inputs.env }}", "group: deploy", `job rollback: environment ${{ inputs.env }}: concurrency group "deploy"`},
		{"deploy.yml", "cancel in progress", promoteConc, strings.Replace(promoteConc, "false", "true", 1), "job promote: concurrency must set cancel-in-progress: false"},
		{"deploy.yml", "cancel left to the default", promoteConc, "    concurrency: deploy-${{ inputs.to }}\n", "job promote: concurrency must set cancel-in-progress: false"},
		{"deploy.yml", "no deployments: write", "      deployments: write # report the deploy as a GitHub Deployment\n", "", "job promote: deploys but does not grant deployments: write"},
		{"deploy.yml", "rollback back to dagger call", `"$RUNNER_TEMP/monopipe" rollback --source=.`, "dagger call rollback --source=.", "runs `dagger call rollback`, which compiles the Dagger module"},
		{"ci.yml", "deployments: write for pull requests", "      packages: read # read the shared result cache\n      id-token: write # the OIDC token for AWS (pushes only; forks get none)\n    env:\n      REPORT_NAME",
			"      packages: read # read the shared result cache\n      id-token: write # the OIDC token for AWS (pushes only; forks get none)\n      deployments: write\n    env:\n      REPORT_NAME",
			"job ci: deployments: write on a job that not only pushes to the default branch run"},
		{"ci.yml", "deployments: write where nothing deploys", "      packages: read # a push to the base branch also selects what has no cached result\n",
			"      packages: read # a push to the base branch also selects what has no cached result\n      deployments: write\n", "job plan: grants deployments: write but runs no monopipe deploy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckWorkflow(tc.file, edit(t, files[tc.file], tc.old, tc.new))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestCircleCIRules(t *testing.T) {
	cfg := read(t, ".circleci/config.yml")
	tests := []struct {
		name, old, new, want string
	}{
		{"unknown job", "      - ci:\n", "      - lint:\n", `workflow ci: job "lint" is not defined`},
		{"release on branches", "            branches:\n              ignore: /.*/\n", "", "release job release must run on tags only"},
		{"release without tag filter", "            tags:\n              only: /^([a-z0-9._-]+\\/)?v\\d+\\.\\d+\\.\\d+.*/\n              ignore: /^monopipe\\/v.*/\n", "", "release job release must run on tags only"},
		{"pin without checksum", "      MONOPIPE_VERSION: \"\"", "      MONOPIPE_VERSION: 1.2.3", "executor dagger: MONOPIPE_VERSION 1.2.3 has no checksum"},
		{"no pin", "      MONOPIPE_SHA256: \"\"\n", "", "executor dagger: MONOPIPE_VERSION and MONOPIPE_SHA256 must be set"},
		{"run before install", "      - install-dagger\n      - install-monopipe\n      - run:\n          name: monopipe ci", "      - install-dagger\n      - run:\n          name: monopipe ci",
			"job ci: runs monopipe before .ci/install-monopipe.sh installed"},
		{"back to dagger call", "dagger run monopipe release", "dagger call release", "runs `dagger call release`, which compiles the Dagger module"},
		{"cache for forks", `if [ "$fork" = false ] && [ -n "${CACHE_PASSWORD:-}" ]; then`, `if [ -n "${CACHE_PASSWORD:-}" ]; then`, "passes the cache settings to forks' pull requests too"},
		{"go cache written by every build", "      - when:\n          condition:\n            equal: [main, << pipeline.git.branch >>]\n          steps:\n            - save_cache:",
			"      - save_cache:\n          x:\n            y: [main, << pipeline.git.branch >>]\n          z:\n            - save_cache:", "a save_cache outside a when: step"},
		{"cache without a context", "      - ci:\n          context: monopipe-cache\n          filters:", "      - ci:\n          filters:", "job ci passes the cache password: take it from a context"},
		{"unpinned dagger", "DAGGER_VERSION: 0.21.8", "DAGGER_VERSION: latest", "not installed pinned to 0.21.8"},
		{"install ignores the pin", `DAGGER_VERSION="$DAGGER_VERSION" sh`, "sh", "not installed pinned to 0.21.8"},
		{"unknown executor", "  ci:\n    executor: dagger", "  ci:\n    executor: docker", `job ci: executor "docker" is not defined`},
		{"unknown command", "      - install-dagger\n", "      - install-dager\n", `step "install-dager" is neither a built-in step nor a defined command`},
		{"no test results", "      - store_test_results:\n          path: monopipe-report/junit.xml\n", "", "no store_test_results step"},
		{"old version", "version: 2.1", "version: 2", `version "2", want 2.1`},
		{"keys without OIDC", "secrets+=(--aws-role-arn=\"$AWS_ROLE_ARN\" --aws-web-identity-token=env://CIRCLE_OIDC_TOKEN_V2)\n            elif [ -n \"${AWS_ACCESS_KEY_ID:-}\" ]",
			"true\n            elif [ -n \"${AWS_ACCESS_KEY_ID:-}\" ]", "passes long-lived AWS keys without the OIDC default"},
		{"OIDC token for forks", `if [ "$fork" = false ] && [ -n "${AWS_ROLE_ARN:-}" ]`, `if [ -n "${AWS_ROLE_ARN:-}" ]`, "passes the OIDC token to forks' pull requests"},
		// Deploys: a serial group per environment, prod behind an approval.
		{"promote without a serial group", "          serial-group: << pipeline.project.slug >>/deploy-<< pipeline.parameters.to >>\n", "",
			"workflow promote: job deploy deploys: run it in the serial group << pipeline.project.slug >>/deploy-<env>"},
		{"release without a serial group", "          serial-group: << pipeline.project.slug >>/deploy-release\n", "", "workflow release: job release deploys: run it in the serial group"},
		{"base build without a serial group", "          serial-group: << pipeline.project.slug >>/deploy-base\n", "", "workflow ci: job ci-base deploys: run it in the serial group"},
		{"serial group shared with other projects", "serial-group: << pipeline.project.slug >>/deploy-<< pipeline.parameters.env >>", "serial-group: deploy-<< pipeline.parameters.env >>",
			"workflow rollback: job deploy deploys: run it in the serial group"},
		{"prod without approval", "          requires: [approve-prod]\n          serial-group: << pipeline.project.slug >>/deploy-prod\n  rollback:",
			"          serial-group: << pipeline.project.slug >>/deploy-prod\n  rollback:", "workflow promote-prod: job deploy deploys to prod: it must require an approval job"},
		{"prod behind a job that approves nothing", "equal: [prod, << pipeline.parameters.env >>]\n    jobs:\n      - approve-prod:\n          type: approval\n",
			"equal: [prod, << pipeline.parameters.env >>]\n    jobs:\n      - approve-prod\n", "workflow rollback-prod: job deploy deploys to prod: it must require an approval job"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckCircleCI(edit(t, cfg, tc.old, tc.new))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
	if err := CheckCircleCI([]byte("jobs: [")); err == nil {
		t.Error("broken YAML passed")
	}
}

// TestActionlint runs actionlint (and, through it, shellcheck when
// installed) on every workflow. .ci/setup.d/ci.sh installs both.
func TestActionlint(t *testing.T) {
	bin, err := exec.LookPath("actionlint")
	if err != nil {
		t.Skip("actionlint not on PATH: run .ci/setup.d/ci.sh (go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12)")
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Log("shellcheck not on PATH: actionlint checks run: scripts without it")
	}
	if out, err := exec.Command(bin, workflows(t)...).CombinedOutput(); err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}
	// The same run must fail on a workflow with a mistake in it.
	bad := filepath.Join(t.TempDir(), "bad.yml")
	text := edit(t, read(t, ".github/workflows/ci.yml"), "needs: plan\n", "needs: planning\n")
	if err := os.WriteFile(bad, text, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, bad).CombinedOutput(); err == nil || !strings.Contains(string(out), "planning") {
		t.Fatalf("actionlint accepted a job needing an unknown job: %v\n%s", err, out)
	}
}
