package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/monopipe/monopipe/pipelines/digest"
	"github.com/monopipe/monopipe/pipelines/plan"
)

// componentDigest plans name alone at head (the working tree when empty)
// and returns its digest.
func componentDigest(ctx context.Context, opts plan.Options, name, head string) (*digest.Digest, error) {
	opts.Base, opts.Head, opts.All, opts.Components, opts.Digest = "", head, true, []string{name}, true
	p, err := plan.Make(ctx, opts)
	if err != nil {
		return nil, err
	}
	for _, c := range p.Components {
		if c.Name == name && c.Digest != "" {
			return &digest.Digest{Sum: c.Digest, Inputs: c.Inputs}, nil
		}
	}
	return nil, fmt.Errorf("--explain %s: no digest at %s (a repository without commits has none)", name, headName(head))
}

func headName(head string) string {
	if head == "" {
		return "the working tree"
	}
	return head
}

// explain prints component name's digest at --head and its inputs, or,
// with against, the inputs that differ between against and --head.
func explain(ctx context.Context, w io.Writer, opts plan.Options, name, against string) error {
	d, err := componentDigest(ctx, opts, name, opts.Head)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s at %s: %s\n", name, headName(opts.Head), d.Sum)
	if against == "" {
		fmt.Fprintf(&b, "%d inputs:\n", len(d.Inputs))
		for _, in := range d.Inputs {
			fmt.Fprintf(&b, "  %s\n", in)
		}
		_, err = io.WriteString(w, b.String())
		return err
	}
	old, err := componentDigest(ctx, opts, name, against)
	if err != nil {
		return fmt.Errorf("--against %s: %w", against, err)
	}
	fmt.Fprintf(&b, "%s at %s: %s\n", name, against, old.Sum)
	ch := digest.Diff(old, d)
	if ch.Empty() {
		b.WriteString("same inputs\n")
	} else {
		fmt.Fprintf(&b, "%d inputs differ (from %s to %s):\n", len(ch.Added)+len(ch.Removed)+len(ch.Changed), against, headName(opts.Head))
	}
	for _, c := range ch.Changed {
		was := c.Input
		was.Value = c.Was
		fmt.Fprintf(&b, "  changed %s (was %s)\n", c.Input, was)
	}
	for _, in := range ch.Added {
		fmt.Fprintf(&b, "  added   %s\n", in)
	}
	for _, in := range ch.Removed {
		fmt.Fprintf(&b, "  removed %s\n", in)
	}
	_, err = io.WriteString(w, b.String())
	return err
}
