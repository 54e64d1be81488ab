package github

import (
	"context"
	"net/url"

	gh "github.com/google/go-github/v60/github"
)

// Release is a GitHub release to create or update.
type Release struct {
	Tag, Name, Body string
	Prerelease      bool
}

// UpsertRelease creates the release for r.Tag, or updates its name, body
// and pre-release flag when it exists, so running a release twice is safe.
// It returns the release's web address.
func (c *Client) UpsertRelease(ctx context.Context, r Release) (string, error) {
	want := &gh.RepositoryRelease{Name: gh.String(r.Name), Body: gh.String(r.Body), Prerelease: gh.Bool(r.Prerelease)}
	// Escaped, so that a tag like api/v1.2.3 stays one path segment.
	got, resp, err := c.gh.Repositories.GetReleaseByTag(ctx, c.owner, c.repo, url.PathEscape(r.Tag))
	switch {
	case err == nil:
		got, resp, err = c.gh.Repositories.EditRelease(ctx, c.owner, c.repo, got.GetID(), want)
		if err != nil {
			return "", c.fail("update release "+r.Tag, resp, err)
		}
	case notFound(resp):
		want.TagName = gh.String(r.Tag)
		got, resp, err = c.gh.Repositories.CreateRelease(ctx, c.owner, c.repo, want)
		if err != nil {
			return "", c.fail("create release "+r.Tag, resp, err)
		}
	default:
		return "", c.fail("get release "+r.Tag, resp, err)
	}
	return got.GetHTMLURL(), nil
}
