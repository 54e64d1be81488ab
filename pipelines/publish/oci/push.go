package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

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
}

// Push uploads img by digest, then sets each tag. Before writing anything
// it checks that no immutable tag points at another digest, so a release
// version is never overwritten and nothing is half-published by that
// check. Tags already on the digest are left alone; re-running after a
// failure finishes the job. Progress lines go to log.
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

	// Read every tag first: immutable ones must be absent or ours.
	pending := make([]name.Tag, 0, len(tags))
	for _, t := range tags {
		tag := repo.Tag(t.Name)
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
			pending = append(pending, tag)
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
	for _, tag := range pending {
		if err := pusher.Push(ctx, tag, img.taggable); err != nil {
			return res, fmt.Errorf("push image: tag %s: %w", tag, err)
		}
		res.Changed = append(res.Changed, tag.TagStr())
		fmt.Fprintf(log, "image tagged: %s -> %s\n", tag, img.Digest)
	}
	return res, nil
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
