// Package github reports a run to GitHub through its REST API: a commit
// status per component, one pull request comment kept up to date, a
// release per tag, and a deployment per component and environment. The
// token never appears in what it returns or prints.
package github

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// Options configure a Client.
type Options struct {
	// Token authenticates every request; it comes from a secret.
	Token string
	// Owner and Repo name the repository.
	Owner, Repo string
	// BaseURL is the API root, as $GITHUB_API_URL gives it; default
	// https://api.github.com/. On GitHub Enterprise Server it is
	// https://HOST/api/v3 (uploads then go to https://HOST/api/uploads/).
	BaseURL string
	// HTTPClient replaces http.DefaultClient.
	HTTPClient *http.Client
}

// Client talks to one repository.
type Client struct {
	gh          *gh.Client
	owner, repo string
	token       string
}

// New checks the options and returns a client.
func New(o Options) (*Client, error) {
	if o.Token == "" {
		return nil, errors.New("github: no token (pass one as a secret)")
	}
	if o.Owner == "" || o.Repo == "" {
		return nil, fmt.Errorf("github: repository %q/%q: want both owner and name", o.Owner, o.Repo)
	}
	c := gh.NewClient(o.HTTPClient).WithAuthToken(o.Token)
	if o.BaseURL != "" {
		base := strings.TrimSuffix(o.BaseURL, "/") + "/"
		u, err := url.Parse(base)
		if err != nil {
			return nil, fmt.Errorf("github: base URL %q: %w", o.BaseURL, err)
		}
		if strings.HasSuffix(u.Path, "/api/v3/") {
			// GitHub Enterprise Server ($GITHUB_API_URL is
			// https://HOST/api/v3): uploads go to https://HOST/api/uploads/.
			upload := strings.TrimSuffix(base, "api/v3/") + "api/uploads/"
			if c, err = c.WithEnterpriseURLs(base, upload); err != nil {
				return nil, fmt.Errorf("github: base URL %q: %w", o.BaseURL, err)
			}
		} else {
			c.BaseURL = u
		}
	}
	return &Client{gh: c, owner: o.Owner, repo: o.Repo, token: o.Token}, nil
}

// Error is a failed API call, with the token scrubbed from its message.
// It deliberately wraps nothing, so the raw error cannot leak the token.
type Error struct {
	// Op says what was being done, e.g. "set status monopipe/api".
	Op string
	// StatusCode is the HTTP status (0 when no response arrived).
	StatusCode int
	msg        string
}

func (e *Error) Error() string { return "github: " + e.Op + ": " + e.msg }

// fail turns an API error into an *Error without the token.
func (c *Client) fail(op string, resp *gh.Response, err error) error {
	e := &Error{Op: op, msg: err.Error()}
	if resp != nil {
		e.StatusCode = resp.StatusCode
	}
	e.msg = strings.ReplaceAll(e.msg, c.token, "***")
	return e
}

// Policy says what an API error does to the run.
type Policy string

// The policies: Warn prints the error and lets a green build stay green;
// Fail makes the error fail the run.
const (
	Warn Policy = "warn"
	Fail Policy = "fail"
)

// ParsePolicy reads a policy flag value.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case Warn, Fail:
		return p, nil
	case "":
		return Warn, nil
	}
	return "", fmt.Errorf("github error policy %q: want %s or %s", s, Warn, Fail)
}

// Handle applies the policy to err: under Warn it writes a warning to w
// and returns nil; under Fail it returns err.
func (p Policy) Handle(err error, w io.Writer) error {
	if err == nil || p == Fail {
		return err
	}
	fmt.Fprintf(w, "warning: GitHub reporting failed (the build result stands): %v\n", err)
	return nil
}

// notFound reports whether the API answered 404.
func notFound(resp *gh.Response) bool { return resp != nil && resp.StatusCode == http.StatusNotFound }
