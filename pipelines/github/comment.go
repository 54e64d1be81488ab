package github

import (
	"context"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// CommentMarker is the hidden line that identifies monopipe's comment on a
// pull request, so later runs edit it instead of adding another.
const CommentMarker = "<!-- monopipe:report -->"

// UpsertComment makes body the text of monopipe's comment on pull request
// number pr: it edits the comment carrying CommentMarker if there is one,
// and creates it otherwise. It returns the comment's id.
func (c *Client) UpsertComment(ctx context.Context, pr int, body string) (int64, error) {
	body = CommentMarker + "\n" + body
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		comments, resp, err := c.gh.Issues.ListComments(ctx, c.owner, c.repo, pr, opts)
		if err != nil {
			return 0, c.fail("list comments of pull request", resp, err)
		}
		for _, cm := range comments {
			if strings.Contains(cm.GetBody(), CommentMarker) {
				_, resp, err := c.gh.Issues.EditComment(ctx, c.owner, c.repo, cm.GetID(), &gh.IssueComment{Body: gh.String(body)})
				if err != nil {
					return 0, c.fail("edit pull request comment", resp, err)
				}
				return cm.GetID(), nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	cm, resp, err := c.gh.Issues.CreateComment(ctx, c.owner, c.repo, pr, &gh.IssueComment{Body: gh.String(body)})
	if err != nil {
		return 0, c.fail("create pull request comment", resp, err)
	}
	return cm.GetID(), nil
}
