package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/monopipe/monopipe/pipelines/digest"
	"github.com/monopipe/monopipe/pipelines/plan"
)

// componentDigest plans name alone at head (the working tree when empty)
// and returns its digest.
func componentDigest(ctx context.Context, opts plan.Options, name, head string) (*digest.Digest, error) {
	opts.Base, opts.Head, opts.All, opts.Components, opts.Digest, opts.DigestInputs = "", head, true, []string{name}, true, true
	p, err := plan.Make(ctx, opts)
	if err != nil {
		if msg := err.Error(); strings.HasPrefix(msg, "--component "+name+":") {
			return nil, errors.New("--explain" + strings.TrimPrefix(msg, "--component"))
		}
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

// explanation is --explain's JSON answer.
type explanation struct {
	Component string   `json:"component"`
	Head      string   `json:"head"`
	Digest    string   `json:"digest"`
	Inputs    []string `json:"inputs"`
	// Against, AgainstDigest and the lists are set with --against.
	Against       string   `json:"against,omitempty"`
	AgainstDigest string   `json:"againstDigest,omitempty"`
	Changed       []string `json:"changed,omitempty"` // "<entry now> (was <entry then>)"
	Added         []string `json:"added,omitempty"`
	Removed       []string `json:"removed,omitempty"`
}

// explain prints component name's digest at --head and its inputs, or,
// with against, the inputs that differ between against and --head; as
// JSON when format is json.
func explain(ctx context.Context, w io.Writer, opts plan.Options, name, against, format string) error {
	d, err := componentDigest(ctx, opts, name, opts.Head)
	if err != nil {
		return err
	}
	if format == "json" {
		e := explanation{Component: name, Head: headName(opts.Head), Digest: d.Sum, Inputs: strs(d.Inputs)}
		if against != "" {
			old, err := componentDigest(ctx, opts, name, against)
			if err != nil {
				return fmt.Errorf("--against %s: %w", against, err)
			}
			ch := digest.Diff(old, d)
			e.Against, e.AgainstDigest, e.Added, e.Removed = against, old.Sum, strs(ch.Added), strs(ch.Removed)
			for _, c := range ch.Changed {
				was := c.Input
				was.Value = c.Was
				e.Changed = append(e.Changed, fmt.Sprintf("%s (was %s)", c.Input, was))
			}
		}
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(e)
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

func strs(ins []digest.Input) []string {
	out := make([]string, len(ins))
	for i, in := range ins {
		out[i] = in.String()
	}
	return out
}
