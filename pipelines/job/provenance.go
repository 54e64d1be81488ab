package job

import (
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
)

// scpURLRE matches an scp-like git remote, git@host:owner/name.git.
var scpURLRE = regexp.MustCompile(`^(?:[^@/]+@)?([^/:]+):([^/].*)$`)

// provenanceOf is what pushed images record about where they come from:
// the repository's web address (from the origin remote, else
// https://github.com/<repo>), the commit, and the commit's time. What
// cannot be read is left out, with a warning on log; it never fails a run.
func provenanceOf(dir, commit, repo string, log io.Writer) oci.Provenance {
	p := oci.Provenance{Revision: commit}
	r, err := detect.Open(dir)
	if err != nil {
		fmt.Fprintf(log, "warning: image provenance: %v\n", err)
		return p
	}
	defer r.Close()
	if c, err := r.Git().CommitObject(plumbing.NewHash(commit)); err == nil {
		p.Created = c.Committer.When
	} else {
		fmt.Fprintf(log, "warning: image provenance: commit %s: %v\n", commit, err)
	}
	if remote, err := r.Git().Remote("origin"); err == nil && len(remote.Config().URLs) > 0 {
		p.Source = webURL(remote.Config().URLs[0])
	}
	if p.Source == "" && repo != "" {
		p.Source = "https://github.com/" + repo
	}
	return p
}

// webURL turns a git remote URL into the repository's https address,
// without credentials: https://user:token@host/o/r.git and git@host:o/r.git
// both give https://host/o/r. "" when the URL is neither.
func webURL(remote string) string {
	host, path := "", ""
	if u, err := url.Parse(remote); err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http" || u.Scheme == "ssh" || u.Scheme == "git") {
		host, path = u.Hostname(), u.Path
		if u.Scheme == "https" || u.Scheme == "http" {
			host = u.Host // a port on a web address is part of it
		}
	} else if m := scpURLRE.FindStringSubmatch(remote); m != nil && !strings.Contains(remote, "://") {
		host, path = m[1], m[2]
	}
	path = strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	if host == "" || path == "" {
		return ""
	}
	return "https://" + host + "/" + path
}
