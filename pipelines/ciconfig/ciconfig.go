// Package ciconfig checks the repository's thin CI wrappers for the rules
// that their own validators cannot see: GitHub workflows pin their actions
// and the Dagger version, grant least privilege, keep expressions out of
// run: scripts and hand AWS credentials over OIDC by default (long-lived
// keys only as the fallback, nothing for pull requests); CircleCI's config
// references only jobs, executors and commands it defines, pins Dagger,
// passes its OIDC token to no fork, and filters its release workflow to
// tags. Both run the monopipe binary under `dagger run`, never
// `dagger call` for ci, release, plan, promote, rollback or deploy (which
// compiles the module on every cold runner): a pinned version has a pinned
// checksum, and every job installs it with InstallScript (which verifies
// it) before running it; no fork gets a secret; the shared cache is written
// only by trusted jobs. Deploys: a GitHub job that promotes or rolls back
// runs in the GitHub Environment it deploys to, in the concurrency group
// deploy-<env> without cancelling; deployments: write goes only to jobs
// that deploy and that no pull request runs; on CircleCI every deploy runs
// in a serial group << pipeline.project.slug >>/deploy-<env>, and a deploy
// to prod waits for an approval job.
package ciconfig

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// DaggerVersion is the Dagger CLI and engine version the wrappers must pin.
const DaggerVersion = "0.21.8"

// InstallScript installs the monopipe binary a wrapper runs: the pinned
// release, checksum verified, or a build from the checkout.
const InstallScript = ".ci/install-monopipe.sh"

var (
	// runsMonopipe matches a command line that runs the monopipe binary.
	runsMonopipe = regexp.MustCompile(`monopipe"?\s+(ci|release|plan|promote|rollback)\b`)
	// compilesModule matches a `dagger call` of a function monopipe runs.
	compilesModule = regexp.MustCompile(`dagger call (ci|release|plan|promote|rollback|deploy)\b`)
	// deploysMonopipe matches a command line on which monopipe deploys:
	// ci and release deploy the environments monopipe.yaml names for them.
	deploysMonopipe = regexp.MustCompile(`monopipe"?\s+(ci|release|promote|rollback)\b`)
	// deploysToEnv matches the manual deploys to a named environment:
	// rollback, and promote --from (promote --version retags an image).
	deploysToEnv = regexp.MustCompile(`(?s)monopipe"?\s+(rollback\b|promote\b.*--from)`)
	versionRE    = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)
	sha256RE     = regexp.MustCompile(`^[0-9a-f]{64}$`)
	shaRE        = regexp.MustCompile(`^[0-9a-f]{40}$`)
	envRefRE     = regexp.MustCompile(`^\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$`)
	exprRE       = regexp.MustCompile(`\$\{\{`)
)

// Workflow is the part of a GitHub Actions workflow that the checks read.
type Workflow struct {
	On          yaml.Node         `yaml:"on"`
	Permissions yaml.Node         `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]Job    `yaml:"jobs"`
}

// Job is one workflow job.
type Job struct {
	If          string    `yaml:"if"`
	Permissions yaml.Node `yaml:"permissions"`
	// Environment is a name or a mapping with name (and url).
	Environment yaml.Node `yaml:"environment"`
	// Concurrency is a group name or a mapping with group and
	// cancel-in-progress.
	Concurrency yaml.Node `yaml:"concurrency"`
	Steps       []Step    `yaml:"steps"`
}

// Step is one job step.
type Step struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

// CheckWorkflow checks a GitHub Actions workflow file; name is used in
// messages. Every problem is reported, joined.
func CheckWorkflow(name string, data []byte) error {
	var w Workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(name+": "+format, args...)) }
	if len(w.Jobs) == 0 {
		fail("no jobs")
	}
	if !permissionsSet(w.Permissions) {
		for _, id := range slices.Sorted(maps.Keys(w.Jobs)) {
			if !permissionsSet(w.Jobs[id].Permissions) {
				fail("job %s: no least-privilege permissions (set them at the top or on every job)", id)
			}
		}
	}
	daggerCalls := 0
	for _, id := range slices.Sorted(maps.Keys(w.Jobs)) {
		for i, s := range w.Jobs[id].Steps {
			where := fmt.Sprintf("job %s step %d", id, i+1)
			if exprRE.MatchString(s.Run) {
				fail("%s: ${{ }} inside run: (pass values through env: instead)", where)
			}
			if strings.Contains(s.Run, "dagger call") || runsMonopipe.MatchString(s.Run) {
				daggerCalls++
			}
			if s.Uses == "" || strings.HasPrefix(s.Uses, "./") {
				continue
			}
			action, ref, _ := strings.Cut(s.Uses, "@")
			if !shaRE.MatchString(ref) {
				fail("%s: %s is not pinned to a full commit id", where, s.Uses)
			}
			switch action {
			case "dagger/dagger-for-github":
				if v := resolveEnv(s.With["version"], w.Env); strings.TrimPrefix(v, "v") != DaggerVersion {
					fail("%s: dagger-for-github version %q, want %s", where, v, DaggerVersion)
				}
			case "actions/checkout":
				if s.With["persist-credentials"] != "false" {
					fail("%s: actions/checkout must set persist-credentials: false (the token would reach the Dagger source)", where)
				}
			}
		}
	}
	if daggerCalls == 0 {
		fail("no step runs monopipe or dagger call")
	}
	errs = append(errs, checkAWS(name, w)...)
	errs = append(errs, checkMonopipe(name, w)...)
	errs = append(errs, checkDeploys(name, w)...)
	return errors.Join(errs...)
}

// checkDeploys checks the jobs that deploy. A job that promotes or rolls
// back runs in the GitHub Environment it deploys to (whose protection
// rules gate it) and grants deployments: write; a job in an environment
// holds the concurrency group deploy-<env> with cancel-in-progress: false
// (one deploy per environment at a time, none cancelled half way).
// deployments: write is never granted at the top, and only to jobs that
// deploy and that no pull request runs.
func checkDeploys(name string, w Workflow) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(name+": "+format, args...)) }
	if grants(w.Permissions, "deployments", "write") {
		fail("deployments: write at the top: grant it only on the jobs that deploy")
	}
	prs := triggeredBy(w.On, "pull_request") || triggeredBy(w.On, "pull_request_target")
	for _, id := range slices.Sorted(maps.Keys(w.Jobs)) {
		j := w.Jobs[id]
		var runs []string
		for _, s := range j.Steps {
			runs = append(runs, s.Run)
		}
		script := strings.Join(runs, "\n")
		env := mappingOrScalar(j.Environment, "name")
		writes := grants(j.Permissions, "deployments", "write")
		if deploysToEnv.MatchString(script) {
			if env == "" {
				fail("job %s: deploys to an environment but names no environment: (its protection rules must gate the job)", id)
			}
			if !writes {
				fail("job %s: deploys but does not grant deployments: write (the GitHub Deployment report would fail)", id)
			}
		}
		if writes {
			if !deploysMonopipe.MatchString(script) {
				fail("job %s: grants deployments: write but runs no monopipe deploy (ci, release, promote or rollback)", id)
			}
			if prs && (!strings.Contains(j.If, trustedIf) || strings.Contains(j.If, "!(")) {
				fail("job %s: deployments: write on a job that not only pushes to the default branch run (if: must require %s)", id, trustedIf)
			}
		}
		if env == "" {
			continue
		}
		group := mappingOrScalar(j.Concurrency, "group")
		if want := "deploy-" + env; group != want {
			fail("job %s: environment %s: concurrency group %q, want %q (one deploy per environment at a time)", id, env, group, want)
		}
		if cancel := mappingOrScalar(j.Concurrency, "cancel-in-progress"); j.Concurrency.Kind != yaml.MappingNode || cancel != "false" {
			fail("job %s: concurrency must set cancel-in-progress: false (a deploy is never cancelled half way)", id)
		}
	}
	return errs
}

// mappingOrScalar is the value of key in a mapping node, or the node's own
// value when it is a scalar (environment: prod, concurrency: deploy-prod).
func mappingOrScalar(n yaml.Node, key string) string {
	switch n.Kind {
	case yaml.ScalarNode:
		if key == "name" || key == "group" {
			return n.Value
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1].Value
			}
		}
	}
	return ""
}

// checkPin checks a wrapper's MONOPIPE_VERSION and MONOPIPE_SHA256: both
// set, a version and a SHA-256, or both empty (build from the checkout).
func checkPin(env map[string]string, fail func(string, ...any)) {
	version, hasVersion := env["MONOPIPE_VERSION"]
	sum, hasSum := env["MONOPIPE_SHA256"]
	switch {
	case !hasVersion || !hasSum:
		fail("MONOPIPE_VERSION and MONOPIPE_SHA256 must be set in the env (both empty: build monopipe from the checkout)")
	case version == "" && sum != "":
		fail("MONOPIPE_SHA256 is set but MONOPIPE_VERSION is empty")
	case version != "" && !versionRE.MatchString(version):
		fail("MONOPIPE_VERSION %q is not a version X.Y.Z", version)
	case version != "" && !sha256RE.MatchString(sum):
		fail("MONOPIPE_VERSION %s has no checksum: MONOPIPE_SHA256 must be its asset's SHA-256 (64 lowercase hex)", version)
	}
}

// trustedIf is the condition of a job that may write the shared cache: a
// push to the default branch.
const trustedIf = "github.event_name == 'push' && github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"

// forkGuards are the expressions that keep a secret from a fork's pull
// request.
var forkGuards = []string{"github.event.pull_request.head.repo.full_name == github.repository", "github.event_name == 'push'"}

// checkMonopipe checks how a workflow runs monopipe: the pin, the install
// step before any run (the binary verified or built), never `dagger call`
// of a function monopipe runs, no secret for a fork's pull request, and
// packages: write (the shared cache) only on jobs that only pushes to the
// default branch run.
func checkMonopipe(name string, w Workflow) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(name+": "+format, args...)) }
	prs := triggeredBy(w.On, "pull_request") || triggeredBy(w.On, "pull_request_target")
	if grants(w.Permissions, "packages", "write") {
		fail("packages: write at the top: grant it only on the trusted jobs that write the shared cache")
	}
	pinChecked := false
	for _, id := range slices.Sorted(maps.Keys(w.Jobs)) {
		j := w.Jobs[id]
		installed, setupGo, cachePassword := false, false, false
		for i, s := range j.Steps {
			where := fmt.Sprintf("job %s step %d", id, i+1)
			if strings.HasPrefix(s.Uses, "actions/setup-go@") {
				setupGo = true
			}
			if m := compilesModule.FindString(s.Run); m != "" {
				fail("%s: runs `%s`, which compiles the Dagger module on every cold runner: run monopipe under `dagger run` (%s installs it)", where, m, InstallScript)
			}
			if strings.Contains(s.Run, InstallScript) {
				if !pinChecked {
					checkPin(w.Env, fail)
					pinChecked = true
				}
				if !setupGo {
					fail("%s: %s builds monopipe when no release is pinned: set up Go first (actions/setup-go, if: env.MONOPIPE_VERSION == '')", where, InstallScript)
				}
				installed = true
			}
			if runsMonopipe.MatchString(s.Run) && !installed {
				fail("%s: runs monopipe before %s installed (and verified) it", where, InstallScript)
			}
			cachePassword = cachePassword || strings.Contains(s.Run, "--cache-password")
			for _, k := range slices.Sorted(maps.Keys(s.Env)) {
				v := s.Env[k]
				if prs && strings.Contains(v, "secrets.") && !slices.ContainsFunc(forkGuards, func(g string) bool { return strings.Contains(v, g) }) {
					fail("%s: env %s: a secret in a workflow that pull requests run must be kept from forks (%s)", where, k, forkGuards[0])
				}
			}
		}
		writes := grants(j.Permissions, "packages", "write")
		if cachePassword && !writes && !grants(j.Permissions, "packages", "read") {
			fail("job %s: passes --cache-password but grants no packages permission (read, or write on trusted jobs)", id)
		}
		if writes && prs && (!strings.Contains(j.If, trustedIf) || strings.Contains(j.If, "!(")) {
			fail("job %s: packages: write on a job that not only pushes to the default branch run (if: must require %s)", id, trustedIf)
		}
	}
	return errs
}

// checkAWS checks how a workflow hands AWS credentials to monopipe: OIDC
// by default (GitHub's token, audience sts.amazonaws.com, masked, with
// id-token: write on exactly the jobs that fetch it), long-lived keys only
// as the fallback when no role is set, and, in a workflow that pull
// requests trigger, nothing unless the event is a push.
func checkAWS(name string, w Workflow) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(name+": "+format, args...)) }
	if grants(w.Permissions, "id-token", "write") {
		fail("id-token: write at the top: grant it only on the jobs that fetch an OIDC token")
	}
	prs := triggeredBy(w.On, "pull_request") || triggeredBy(w.On, "pull_request_target")
	for _, id := range slices.Sorted(maps.Keys(w.Jobs)) {
		j := w.Jobs[id]
		for i, s := range j.Steps {
			where := fmt.Sprintf("job %s step %d", id, i+1)
			if strings.Contains(s.Run, "--aws-web-identity-token") && !grants(j.Permissions, "id-token", "write") {
				fail("%s: passes --aws-web-identity-token but the job does not grant id-token: write", where)
			}
			if strings.Contains(s.Run, "ACTIONS_ID_TOKEN_REQUEST_URL") {
				if !strings.Contains(s.Run, "audience=sts.amazonaws.com") {
					fail("%s: the OIDC token for AWS must be requested with audience=sts.amazonaws.com", where)
				}
				if !strings.Contains(s.Run, "::add-mask::") {
					fail("%s: the OIDC token is not masked (::add-mask::)", where)
				}
			}
			if strings.Contains(s.Run, "--aws-access-key-id") && !strings.Contains(s.Run, "--aws-web-identity-token") {
				fail("%s: passes long-lived AWS keys without the OIDC default (--aws-role-arn and --aws-web-identity-token)", where)
			}
			for _, k := range slices.Sorted(maps.Keys(s.Env)) {
				v := s.Env[k]
				if strings.Contains(v, "secrets.AWS_ACCESS_KEY_ID") || strings.Contains(v, "secrets.AWS_SECRET_ACCESS_KEY") {
					if !strings.Contains(v, "vars.AWS_ROLE_ARN == ''") {
						fail("%s: env %s: long-lived AWS keys must be the fallback only (vars.AWS_ROLE_ARN == '')", where, k)
					}
				}
				aws := strings.Contains(v, "secrets.AWS_") || strings.Contains(v, "vars.AWS_ROLE_ARN")
				if aws && prs && !strings.Contains(v, "github.event_name == 'push'") {
					fail("%s: env %s: AWS credentials in a workflow that pull requests run must be for pushes only (github.event_name == 'push')", where, k)
				}
			}
		}
	}
	return errs
}

// grants says whether a permissions mapping sets scope to level.
func grants(perms yaml.Node, scope, level string) bool {
	if perms.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(perms.Content); i += 2 {
		if perms.Content[i].Value == scope && perms.Content[i+1].Value == level {
			return true
		}
	}
	return false
}

// triggeredBy says whether a workflow's on: names event (a name, a list
// or a mapping).
func triggeredBy(on yaml.Node, event string) bool {
	switch on.Kind {
	case yaml.ScalarNode:
		return on.Value == event
	case yaml.SequenceNode:
		return slices.ContainsFunc(on.Content, func(n *yaml.Node) bool { return n.Value == event })
	case yaml.MappingNode:
		for i := 0; i < len(on.Content); i += 2 {
			if on.Content[i].Value == event {
				return true
			}
		}
	}
	return false
}

// permissionsSet is true for a permissions mapping (scopes listed one by
// one) or "read-all"; absent or "write-all" is false.
func permissionsSet(n yaml.Node) bool {
	return n.Kind == yaml.MappingNode || (n.Kind == yaml.ScalarNode && n.Value == "read-all")
}

func resolveEnv(v string, env map[string]string) string {
	if m := envRefRE.FindStringSubmatch(v); m != nil {
		return env[m[1]]
	}
	return v
}

// CircleCI is the part of .circleci/config.yml that the checks read.
type CircleCI struct {
	Version   string                    `yaml:"version"`
	Executors map[string]CircleExecutor `yaml:"executors"`
	Commands  map[string]CircleCommand  `yaml:"commands"`
	Jobs      map[string]CircleJob      `yaml:"jobs"`
	Workflows map[string]CircleWorkflow `yaml:"workflows"`
}

// CircleExecutor is a reusable executor.
type CircleExecutor struct {
	Environment map[string]string `yaml:"environment"`
}

// CircleCommand is a reusable command.
type CircleCommand struct {
	Steps []yaml.Node `yaml:"steps"`
}

// CircleJob is one job.
type CircleJob struct {
	Executor    string            `yaml:"executor"`
	Environment map[string]string `yaml:"environment"`
	Steps       []yaml.Node       `yaml:"steps"`
}

// CircleWorkflow is one workflow; each job entry is a name or a mapping
// from the name to its settings.
type CircleWorkflow struct {
	Jobs []yaml.Node `yaml:"jobs"`
}

// circleBuiltins are CircleCI's built-in step types.
var circleBuiltins = map[string]bool{
	"run": true, "checkout": true, "store_artifacts": true, "store_test_results": true,
	"save_cache": true, "restore_cache": true, "persist_to_workspace": true, "attach_workspace": true,
	"add_ssh_keys": true, "setup_remote_docker": true, "when": true, "unless": true,
}

type circleJobRef struct {
	// Job is the job's key; Name the entry's own name, when set.
	Job         string    `yaml:"-"`
	Name        string    `yaml:"name"`
	Type        string    `yaml:"type"`
	SerialGroup string    `yaml:"serial-group"`
	Requires    []string  `yaml:"requires"`
	Context     yaml.Node `yaml:"context"`
	Filters     struct {
		Tags     struct{ Only, Ignore string }
		Branches struct{ Only, Ignore string }
	} `yaml:"filters"`
}

// CheckCircleCI checks .circleci/config.yml: it parses; every job,
// executor and command referenced exists; Dagger is pinned; test results
// and artifacts are stored; a job that runs `dagger call release` runs
// only on tags (tag filter set, branches ignored); every deploy (release,
// promote, rollback, ci limited to the base branch) runs in a serial group
// << pipeline.project.slug >>/deploy-<env>, and one to prod requires an
// approval job. Problems are joined.
func CheckCircleCI(data []byte) error {
	var c CircleCI
	if err := yaml.Unmarshal(data, &c); err != nil {
		return fmt.Errorf(".circleci/config.yml: %w", err)
	}
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(".circleci/config.yml: "+format, args...))
	}
	if c.Version != "2.1" {
		fail("version %q, want 2.1", c.Version)
	}
	used := map[string]bool{} // step kinds used anywhere
	var runs []string         // every run command
	releaseJobs := map[string]bool{}
	cacheJobs := map[string]bool{}       // jobs that pass the cache password
	deployJobs := map[string]string{}    // jobs that may deploy: the monopipe command
	installs := func(kind string) bool { // a step kind that runs InstallScript
		_, cmds := circleSteps(c.Commands[kind].Steps)
		return strings.Contains(strings.Join(cmds, "\n"), InstallScript)
	}
	check := func(where string, steps []yaml.Node) {
		kinds, cmds := circleSteps(steps)
		for _, k := range kinds {
			if _, ok := c.Commands[k]; !ok && !circleBuiltins[k] {
				fail("%s: step %q is neither a built-in step nor a defined command", where, k)
			}
			used[k] = true
		}
		runs = append(runs, cmds...)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Commands)) {
		check("command "+name, c.Commands[name].Steps)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Jobs)) {
		j := c.Jobs[name]
		if _, ok := c.Executors[j.Executor]; !ok {
			fail("job %s: executor %q is not defined", name, j.Executor)
		}
		n := len(runs)
		check("job "+name, j.Steps)
		text := strings.Join(runs[n:], "\n")
		if strings.Contains(text, "dagger call release") || strings.Contains(text, "monopipe release") {
			releaseJobs[name] = true
		}
		if strings.Contains(text, "--cache-password") {
			cacheJobs[name] = true
		}
		if m := deploysMonopipe.FindStringSubmatch(text); m != nil {
			deployJobs[name] = m[1]
		}
		installed := false
		for _, st := range j.Steps {
			kinds, cmds := circleSteps([]yaml.Node{st})
			run := strings.Join(cmds, "\n")
			if installs(kinds[0]) || strings.Contains(run, InstallScript) {
				installed = true
			}
			if runsMonopipe.MatchString(run) && !installed {
				fail("job %s: runs monopipe before %s installed (and verified) it", name, InstallScript)
			}
		}
	}
	for _, k := range []string{"store_test_results", "store_artifacts"} {
		if !used[k] {
			fail("no %s step", k)
		}
	}
	pinned := false
	for _, e := range c.Executors {
		pinned = pinned || e.Environment["DAGGER_VERSION"] == DaggerVersion
	}
	for _, r := range runs {
		if strings.Contains(r, "dl.dagger.io") && !strings.Contains(r, `DAGGER_VERSION="$DAGGER_VERSION"`) {
			pinned = false
		}
	}
	if !pinned {
		fail("the dagger CLI is not installed pinned to %s (executor environment DAGGER_VERSION, used by the install command)", DaggerVersion)
	}
	usesMonopipe := false
	for _, r := range runs {
		if strings.Contains(r, "--aws-access-key-id") && !strings.Contains(r, "--aws-web-identity-token=env://CIRCLE_OIDC_TOKEN_V2") {
			fail("a job passes long-lived AWS keys without the OIDC default (--aws-role-arn and --aws-web-identity-token=env://CIRCLE_OIDC_TOKEN_V2)")
		}
		if m := compilesModule.FindString(r); m != "" {
			fail("a job runs `%s`, which compiles the Dagger module on every cold machine: run monopipe under `dagger run` (%s installs it)", m, InstallScript)
		}
		usesMonopipe = usesMonopipe || strings.Contains(r, InstallScript)
		if !strings.Contains(r, "--fork=") {
			continue
		}
		// A run that serves forks' pull requests too: every test that hands
		// over the OIDC token or the cache password tests "$fork" first.
		for _, line := range strings.Split(r, "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "if ") || strings.Contains(line, `[ "$fork" = false ]`) {
				continue
			}
			switch {
			case strings.Contains(line, "CIRCLE_OIDC_TOKEN_V2"):
				fail("the ci job passes the OIDC token to forks' pull requests too (test \"$fork\" = false first)")
			case strings.Contains(line, "CACHE_PASSWORD") || strings.Contains(line, "CACHE_REGISTRY"):
				fail("the ci job passes the cache settings to forks' pull requests too (test \"$fork\" = false first)")
			}
		}
	}
	if usesMonopipe && used["save_cache"] {
		fail("a save_cache outside a when: step: the Go cache the unpinned monopipe build reads must be written by the base branch only (a fork's build could plant compiled code)")
	}
	if usesMonopipe {
		for _, e := range slices.Sorted(maps.Keys(c.Executors)) {
			checkPin(c.Executors[e].Environment, func(format string, args ...any) { fail("executor "+e+": "+format, args...) })
		}
	}
	if len(c.Workflows) == 0 {
		fail("no workflows")
	}
	for _, wf := range slices.Sorted(maps.Keys(c.Workflows)) {
		var refs []circleJobRef
		for _, n := range c.Workflows[wf].Jobs {
			ref, err := jobRef(n)
			if err != nil {
				fail("workflow %s: %v", wf, err)
				continue
			}
			refs = append(refs, ref)
		}
		approvals := map[string]bool{}
		for _, ref := range refs {
			if ref.Type == "approval" {
				approvals[ref.Name] = true
			}
		}
		for _, ref := range refs {
			if ref.Type == "approval" {
				continue // approval jobs exist only in workflows
			}
			if _, ok := c.Jobs[ref.Job]; !ok {
				fail("workflow %s: job %q is not defined", wf, ref.Job)
			}
			if releaseJobs[ref.Job] && (ref.Filters.Tags.Only == "" || ref.Filters.Branches.Ignore != "/.*/") {
				fail("workflow %s: release job %s must run on tags only (filters.tags.only and filters.branches.ignore: /.*/)", wf, ref.Name)
			}
			if cacheJobs[ref.Job] && ref.Context.IsZero() {
				fail("workflow %s: job %s passes the cache password: take it from a context (context:), which forks' builds do not get", wf, ref.Name)
			}
			// A deploy: release, promote or rollback, or ci limited to a
			// branch (the base branch: it deploys the on: base environments).
			cmd := deployJobs[ref.Job]
			if deploys := cmd != "" && (cmd != "ci" || ref.Filters.Branches.Only != ""); deploys && !strings.HasPrefix(ref.SerialGroup, serialGroupPrefix) {
				fail("workflow %s: job %s deploys: run it in the serial group %s<env> (one deploy per environment at a time, never an older pipeline's after a newer one's)", wf, ref.Name, serialGroupPrefix)
			}
			if env, ok := strings.CutPrefix(ref.SerialGroup, serialGroupPrefix); ok && slices.Contains(productionEnvs, env) &&
				!slices.ContainsFunc(ref.Requires, func(r string) bool { return approvals[r] }) {
				fail("workflow %s: job %s deploys to %s: it must require an approval job (type: approval) of the workflow", wf, ref.Name, env)
			}
		}
	}
	return errors.Join(errs...)
}

// serialGroupPrefix starts the serial group of a CircleCI deploy; the
// environment's name follows. Serial groups span the organization: the
// project's slug keeps other projects' deploys out of this one's group.
const serialGroupPrefix = "<< pipeline.project.slug >>/deploy-"

// productionEnvs are the environments whose deploys wait for an approval.
var productionEnvs = []string{"prod", "production"}

func jobRef(n yaml.Node) (circleJobRef, error) {
	var ref circleJobRef
	switch {
	case n.Kind == yaml.ScalarNode:
		ref.Job = n.Value
	case n.Kind == yaml.MappingNode && len(n.Content) == 2:
		ref.Job = n.Content[0].Value
		if err := n.Content[1].Decode(&ref); err != nil {
			return ref, fmt.Errorf("line %d: job %s: %w", n.Line, ref.Job, err)
		}
	default:
		return ref, fmt.Errorf("line %d: a job entry is a name or a one-key mapping", n.Line)
	}
	if ref.Name == "" {
		ref.Name = ref.Job
	}
	return ref, nil
}

// circleSteps lists the kind of each step (a built-in or a command name)
// and the text of every run command.
func circleSteps(steps []yaml.Node) (kinds, runs []string) {
	for _, s := range steps {
		kind, body := s.Value, (*yaml.Node)(nil)
		if s.Kind == yaml.MappingNode && len(s.Content) == 2 {
			kind, body = s.Content[0].Value, s.Content[1]
		}
		kinds = append(kinds, kind)
		if kind != "run" || body == nil {
			continue
		}
		if body.Kind == yaml.ScalarNode {
			runs = append(runs, body.Value)
			continue
		}
		var r struct{ Command string }
		if body.Decode(&r) == nil {
			runs = append(runs, r.Command)
		}
	}
	return kinds, runs
}
