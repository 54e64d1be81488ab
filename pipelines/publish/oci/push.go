package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Target is where to push.
type Target struct {
	// Repository is registry/path, e.g. 127.0.0.1:5000/team/api.
	Repository string
	// Insecure talks plain HTTP (loopback registries always do).
	Insecure bool
	// Auth is the registry login; nil means anonymous.
	Auth authn.Authenticator
	// Transport overrides the HTTP transport (nil: the default).
	Transport http.RoundTripper
	// Backoff overrides the retry backoff on 5xx and network errors; zero
	// keeps go-containerregistry's default (3 tries).
	Backoff remote.Backoff
}

// Result is what a push did.
type Result struct {
	// Ref is repository@digest.
	Ref string
	// Tags lists every tag now pointing at the digest.
	Tags []string
	// Changed lists the tags that were set or moved by this push (empty
	// when everything was already in place).
	Changed []string
	// Kept lists the alias tags left where they were because a newer
	// release they cover exists (a backport).
	Kept []string
}

// Push uploads img by digest, then sets each tag. Before writing anything
// it checks that no immutable tag points at another digest, so a release
// version is never overwritten and nothing is half-published by that
// check, and it leaves an alias tag (Tag.Alias) where it is when the
// repository holds a newer release that the alias covers. Immutable tags
// are written first and read back, before the other tags and once more at
// the end: when a concurrent writer of the same version won, Push fails
// saying so (on a registry without immutable tags, a writer can still
// overwrite after the last read; ECR's IMMUTABLE setting closes that).
// An alias this push moved goes back to a newer release that appeared
// meanwhile (see yieldAliases). Tags already on the digest are left
// alone; re-running after a failure finishes the job. Progress lines go
// to log.
func Push(ctx context.Context, img *Image, tgt Target, tags []Tag, log io.Writer) (*Result, error) {
	repo, opts, err := tgt.remote(ctx)
	if err != nil {
		return nil, fmt.Errorf("push image: %w", err)
	}
	pusher, err := remote.NewPusher(opts...)
	if err != nil {
		return nil, fmt.Errorf("push image to %s: %w", repo, err)
	}
	opts = append(opts, remote.Reuse(pusher))
	digestRef := repo.Digest(img.Digest.String())
	res := &Result{Ref: digestRef.String()}
	releases, err := releasedVersions(repo, tags, opts)
	if err != nil {
		return nil, fmt.Errorf("push image: list the tags of %s: %w", repo, err)
	}
	// Read every tag first: immutable ones must be absent or ours.
	var pending, immutable []Tag
	for _, t := range tags {
		tag := repo.Tag(t.Name)
		if t.Alias != nil {
			if newer := newestCovered(releases, t.Name); newer != nil && newer.GreaterThan(t.Alias) {
				fmt.Fprintf(log, "image %s: tag %s stays: release %s is newer than %s\n", repo, t.Name, newer, t.Alias)
				res.Kept = append(res.Kept, t.Name)
				continue
			}
		}
		current, err := headDigest(tag, opts)
		if err != nil {
			return nil, fmt.Errorf("push image: check tag %s: %w", tag, err)
		}
		switch {
		case current == img.Digest.String():
			fmt.Fprintf(log, "image %s: tag %s already on %s\n", repo, t.Name, img.Digest)
		case current != "" && t.Immutable:
			return nil, fmt.Errorf("push image: release tag %s already points at %s, not %s: a released version is never overwritten; publish a new version", tag, current, img.Digest)
		default:
			pending = append(pending, t)
		}
		if t.Immutable {
			immutable = append(immutable, t)
		}
		res.Tags = append(res.Tags, t.Name)
	}
	if len(pending) == 0 {
		return res, nil
	}
	if err := pusher.Push(ctx, digestRef, img.taggable); err != nil {
		return nil, fmt.Errorf("push image %s: %w", digestRef, err)
	}
	fmt.Fprintf(log, "image pushed: %s\n", digestRef)
	// Immutable tags first, so that no other tag moves to an image that
	// lost the race for its version.
	slices.SortStableFunc(pending, func(a, b Tag) int {
		switch {
		case a.Immutable == b.Immutable:
			return 0
		case a.Immutable:
			return -1
		}
		return 1
	})
	for _, t := range pending {
		tag := repo.Tag(t.Name)
		if err := pusher.Push(ctx, tag, img.taggable); err != nil {
			if t.Immutable { // a registry with immutable tags refuses the loser
				if current, _ := headDigest(tag, opts); current != "" && current != img.Digest.String() {
					return res, verifyTag(tag, img, opts)
				}
			}
			return res, fmt.Errorf("push image: tag %s: %w", tag, err)
		}
		if t.Immutable {
			if err := verifyTag(tag, img, opts); err != nil {
				return res, err
			}
		}
		res.Changed = append(res.Changed, tag.TagStr())
		fmt.Fprintf(log, "image tagged: %s -> %s\n", tag, img.Digest)
	}
	for _, t := range immutable {
		if err := verifyTag(repo.Tag(t.Name), img, opts); err != nil {
			return res, err
		}
	}
	if err := yieldAliases(repo, img, pending, res, opts, log); err != nil {
		return res, err
	}
	return res, nil
}

// yieldAliases gives back the aliases this push moved when a newer release
// they cover appeared meanwhile: a concurrent release of 1.2.0 checked
// "1" before this 1.1.5 wrote it, so "1" goes to 1.2.0 again. Each release
// writes its version tag before its aliases, so the last writer of an
// alias always sees the newer version here.
func yieldAliases(repo name.Repository, img *Image, moved []Tag, res *Result, opts []remote.Option, log io.Writer) error {
	if !slices.ContainsFunc(moved, func(t Tag) bool { return t.Alias != nil }) {
		return nil
	}
	releases, err := releasedVersions(repo, moved, opts)
	if err != nil {
		return fmt.Errorf("push image: list the tags of %s again: %w", repo, err)
	}
	for _, t := range moved {
		newer := newestCovered(releases, t.Name)
		if t.Alias == nil || newer == nil || !newer.GreaterThan(t.Alias) {
			continue
		}
		tag := repo.Tag(t.Name)
		if current, err := headDigest(tag, opts); err != nil || current != img.Digest.String() {
			continue // the newer release's own push moved it already
		}
		desc, err := remote.Get(repo.Tag(newer.String()), opts...)
		if err != nil {
			return fmt.Errorf("push image: read %s:%s: %w", repo, newer, err)
		}
		if err := remote.Tag(tag, desc, opts...); err != nil {
			return fmt.Errorf("push image: give tag %s back to %s: %w", tag, newer, err)
		}
		fmt.Fprintf(log, "image %s: tag %s back on %s: release %s came out meanwhile, newer than %s\n", repo, t.Name, desc.Digest, newer, t.Alias)
		res.Changed = slices.DeleteFunc(res.Changed, func(n string) bool { return n == t.Name })
		res.Tags = slices.DeleteFunc(res.Tags, func(n string) bool { return n == t.Name })
		res.Kept = append(res.Kept, t.Name)
	}
	return nil
}

// verifyTag reads an immutable tag back after writing it: another writer
// of the same version may have written it in between.
func verifyTag(tag name.Tag, img *Image, opts []remote.Option) error {
	current, err := headDigest(tag, opts)
	switch {
	case err != nil:
		return fmt.Errorf("push image: read back tag %s: %w", tag, err)
	case current == "":
		return fmt.Errorf("push image: tag %s is missing right after it was written", tag)
	case current != img.Digest.String():
		return fmt.Errorf("push image: another writer won: tag %s holds %s, we pushed %s; a released version is never overwritten: publish a new version", tag, current, img.Digest)
	}
	return nil
}

// releasedVersions lists the release versions (X.Y.Z tags, no
// pre-releases) in repo when some tag is an alias; nil otherwise.
func releasedVersions(repo name.Repository, tags []Tag, opts []remote.Option) ([]*semver.Version, error) {
	if !slices.ContainsFunc(tags, func(t Tag) bool { return t.Alias != nil }) {
		return nil, nil
	}
	names, err := remote.List(repo, opts...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return nil, nil // a new repository
	}
	if err != nil {
		return nil, err
	}
	var out []*semver.Version
	for _, n := range names {
		if v, err := semver.StrictNewVersion(n); err == nil && v.Prerelease() == "" {
			out = append(out, v)
		}
	}
	return out, nil
}

// newestCovered is the newest of releases that alias covers, nil when none.
func newestCovered(releases []*semver.Version, alias string) *semver.Version {
	var newest *semver.Version
	for _, v := range releases {
		if Covers(alias, v) && (newest == nil || v.GreaterThan(newest)) {
			newest = v
		}
	}
	return newest
}

// remote parses the repository and returns the options of every request.
func (tgt Target) remote(ctx context.Context) (name.Repository, []remote.Option, error) {
	var nameOpts []name.Option
	if tgt.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	repo, err := name.NewRepository(tgt.Repository, nameOpts...)
	if err != nil {
		return name.Repository{}, nil, fmt.Errorf("repository %q: %w", tgt.Repository, err)
	}
	opts := []remote.Option{remote.WithContext(ctx)}
	if tgt.Auth != nil {
		opts = append(opts, remote.WithAuth(tgt.Auth))
	}
	if tgt.Transport != nil {
		opts = append(opts, remote.WithTransport(tgt.Transport))
	}
	if tgt.Backoff.Steps > 0 {
		opts = append(opts, remote.WithRetryBackoff(tgt.Backoff))
	}
	return repo, opts, nil
}

// headDigest returns the digest a tag points at, "" when the tag is absent.
func headDigest(tag name.Tag, opts []remote.Option) (string, error) {
	desc, err := remote.Head(tag, opts...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}
