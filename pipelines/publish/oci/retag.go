package oci

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Retag gives the image that tag from points at the tag to as well, by
// digest: nothing is rebuilt or re-uploaded, only the manifest is written
// under the new tag. Moving to is intended (stable, prod); from must exist.
func Retag(ctx context.Context, tgt Target, from, to string, log io.Writer) (*Result, error) {
	repo, opts, err := tgt.remote(ctx)
	if err != nil {
		return nil, fmt.Errorf("retag image: %w", err)
	}
	src, dst := repo.Tag(from), repo.Tag(to)
	switch d, err := headDigest(src, opts); {
	case err != nil:
		return nil, fmt.Errorf("retag image: read %s: %w", src, err)
	case d == "":
		return nil, fmt.Errorf("retag image: %s not found: publish that version first", src)
	}
	desc, err := remote.Get(src, opts...)
	if err != nil {
		return nil, fmt.Errorf("retag image: read %s: %w", src, err)
	}
	res := &Result{Ref: repo.Digest(desc.Digest.String()).String(), Tags: []string{to}}
	current, err := headDigest(dst, opts)
	if err != nil {
		return nil, fmt.Errorf("retag image: check tag %s: %w", dst, err)
	}
	if current == desc.Digest.String() {
		fmt.Fprintf(log, "image %s: tag %s already on %s\n", repo, to, desc.Digest)
		return res, nil
	}
	if err := remote.Tag(dst, desc, opts...); err != nil {
		return nil, fmt.Errorf("retag image: tag %s: %w", dst, err)
	}
	res.Changed = []string{to}
	fmt.Fprintf(log, "image tagged: %s -> %s (was %s)\n", dst, desc.Digest, orNone(current))
	return res, nil
}

func orNone(s string) string {
	if s == "" {
		return "untagged"
	}
	return s
}
