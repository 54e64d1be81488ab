package plan

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/monopipe/monopipe/internal/cachefile"
	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/pipelines/manifest"
)

// freshManifests parses every component of the plan's repository state
// without any cache, as the reference.
func freshManifests(t *testing.T, p *Plan, read func(path string) []byte) map[string]*manifest.Component {
	t.Helper()
	want := map[string]*manifest.Component{}
	for _, c := range p.Manifests {
		fresh, err := manifest.ParseComponent(c.Path, read(c.Path))
		if err != nil {
			t.Fatal(err)
		}
		want[fresh.Name] = fresh
	}
	return want
}

// TestManifestCache plans twice around a change: the manifests must always
// equal a fresh parse of the files, whether they came from the cache or
// not, and unchanged files must come from the cache.
func TestManifestCache(t *testing.T) {
	edited := "name: api\nkind: docker\ndependsOn: []\nrelease:\n  deploy: false\n"
	tests := []struct {
		name   string
		head   string
		change func(t *testing.T, r *gittest.Repo)
	}{
		{"unchanged", "", func(t *testing.T, r *gittest.Repo) {}},
		{"manifest edited in the working tree", "", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"services/api/component.yaml": edited})
		}},
		{"manifest edited and staged", "", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"services/api/component.yaml": edited})
			r.Git("add", ".")
		}},
		{"untracked manifest", "", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"services/new/component.yaml": "name: new\nkind: go\n"})
		}},
		{"manifest edited and committed", "HEAD", func(t *testing.T, r *gittest.Repo) {
			r.Commit("edit", map[string]string{"services/api/component.yaml": edited})
		}},
		{"corrupt cache", "", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"services/api/component.yaml": edited})
			file := filepath.Join(r.Dir, ".git", "monopipe", manifestCacheName)
			if err := os.WriteFile(file, []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newFixture(t)
			opts := Options{Dir: r.Dir, Base: "HEAD", Head: tt.head}
			if _, err := Make(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
			tt.change(t, r)
			for run := 0; run < 2; run++ { // the second run reads what the first wrote
				p, err := Make(context.Background(), opts)
				if err != nil {
					t.Fatal(err)
				}
				read := func(path string) []byte {
					if tt.head != "" {
						return []byte(r.GitRaw("show", tt.head+":"+path))
					}
					data, err := os.ReadFile(filepath.Join(r.Dir, path))
					if err != nil {
						t.Fatal(err)
					}
					return data
				}
				if want := freshManifests(t, p, read); !reflect.DeepEqual(p.Manifests, want) {
					t.Fatalf("run %d: manifests differ from a fresh parse:\n got %v\nwant %v", run, p.Manifests, want)
				}
			}
			// Every committed manifest is now in the cache under its blob id.
			c := loadManifestCache(filepath.Join(r.Dir, ".git", "monopipe", manifestCacheName))
			for _, path := range []string{"libs/greet/component.yaml", "services/web/component.yaml"} {
				blob := plumbing.NewHash(r.Git("rev-parse", "HEAD:"+path))
				if c.get(blob, path) == nil {
					t.Errorf("%s is not in the cache", path)
				}
			}
		})
	}
}

// TestManifestCacheKeyedByContent plants a doctored entry for a manifest's
// blob id: Make must take it (so the cache is really read) while the file
// has that content, and must not once the file changes.
func TestManifestCacheKeyedByContent(t *testing.T) {
	r := newFixture(t)
	opts := Options{Dir: r.Dir, Base: "HEAD"}
	p, err := Make(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	const path = "libs/greet/component.yaml"
	ids := map[string]plumbing.Hash{}
	var comps []*manifest.Component
	for _, c := range p.Manifests {
		ids[c.Path] = plumbing.NewHash(r.Git("rev-parse", "HEAD:"+c.Path))
		if c.Path == path {
			doctored := *c
			doctored.Kind = manifest.KindCustom
			c = &doctored
		}
		comps = append(comps, c)
	}
	c := loadManifestCache(filepath.Join(r.Dir, ".git", "monopipe", manifestCacheName))
	c.save(comps, ids, nil)

	if p, err = Make(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if got := p.Manifests["greet"].Kind; got != manifest.KindCustom {
		t.Fatalf("kind = %s: the cache was not read", got)
	}
	r.Write(map[string]string{path: "name: greet\nkind: go\n\n"})
	if p, err = Make(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if got := p.Manifests["greet"].Kind; got != manifest.KindGo {
		t.Fatalf("kind = %s after the file changed: a stale cache entry was used", got)
	}
}

// TestDiscoveryCache plants a doctored discovery entry (one component
// missing) for HEAD's tree: a plan at that tree must take it (so the
// cache is really read), and a plan at another tree must not.
func TestDiscoveryCache(t *testing.T) {
	r := newFixture(t)
	opts := Options{Dir: r.Dir, Base: "HEAD", Head: "HEAD"}
	p, err := Make(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Manifests) != len(allNames) {
		t.Fatalf("%d manifests, want %d", len(p.Manifests), len(allNames))
	}
	file := filepath.Join(r.Dir, ".git", "monopipe", discoveryCacheName)
	d := cachefile.Read(file, discoveryCacheMagic)
	if d == nil {
		t.Fatal("no discovery cache written")
	}
	stamp, key := d.Str(), d.Str()
	b := cachefile.AppendStr([]byte(discoveryCacheMagic), stamp)
	b = cachefile.AppendStr(b, key)
	b = binary.AppendUvarint(b, 1)
	b = cachefile.AppendStr(b, "libs/greet/component.yaml")
	h := plumbing.NewHash(r.Git("rev-parse", "HEAD:libs/greet/component.yaml"))
	b = append(b, h[:]...)
	if err := cachefile.Create(file).Commit(b); err != nil {
		t.Fatal(err)
	}
	if p, err = Make(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if len(p.Manifests) != 1 || p.Manifests["greet"] == nil {
		t.Fatalf("manifests %v: the discovery cache was not read", p.Manifests)
	}
	r.Commit("more", map[string]string{"tools/cli/more.go": "package main\n"})
	if p, err = Make(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if len(p.Manifests) != len(allNames) {
		t.Fatalf("%d manifests at a new tree, want %d: a stale discovery was used", len(p.Manifests), len(allNames))
	}
}
