package trigger

import (
	"fmt"
	"regexp"
)

var circleForkBranchRE = regexp.MustCompile(`^pull/\d+$`)

// FromCircleCI builds a trigger from CircleCI's built-in variables, read
// through getenv (os.Getenv on the runner, or a map in a Dagger function
// whose arguments the wrapper filled), and baseRevision, the value of
// << pipeline.git.base_revision >> (empty on a branch's first pipeline).
//
// CIRCLE_TAG makes a tag run; CIRCLE_PULL_REQUEST (a URL) or
// CIRCLE_PR_NUMBER a pull request run; anything else a push. A fork's pull
// request shows as CIRCLE_PR_USERNAME being set, or a "pull/N" branch.
func FromCircleCI(getenv func(string) string, baseRevision string) (Trigger, error) {
	pr := getenv("CIRCLE_PULL_REQUEST")
	if pr == "" {
		pr = getenv("CIRCLE_PR_NUMBER")
	}
	v := Values{
		Base:        baseRevision,
		Head:        getenv("CIRCLE_SHA1"),
		Branch:      getenv("CIRCLE_BRANCH"),
		Tag:         getenv("CIRCLE_TAG"),
		PullRequest: pr,
		Fork:        getenv("CIRCLE_PR_USERNAME") != "" || circleForkBranchRE.MatchString(getenv("CIRCLE_BRANCH")),
	}
	if owner, name := getenv("CIRCLE_PROJECT_USERNAME"), getenv("CIRCLE_PROJECT_REPONAME"); owner != "" || name != "" {
		v.Repo = owner + "/" + name
	}
	if v.Tag != "" {
		v.Base = "" // a tag's previous release is found from tags, not the pipeline
	}
	t, err := FromValues(v)
	if err != nil {
		return Trigger{}, fmt.Errorf("CircleCI variables: %w", err)
	}
	return t, nil
}
