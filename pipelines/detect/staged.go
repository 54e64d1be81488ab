package detect

import (
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// staged lists the paths where the index differs from head's tree. It
// reads git objects, so it runs on the caller's goroutine (go-git's
// storage is not safe for concurrent use).
func (s *scan) staged(repo *git.Repository, head *object.Commit) ([]string, error) {
	if <-s.indexed; s.indexErr != nil {
		return nil, nil // wait reports it
	}
	if h, ok := s.idx.rootTree(); ok && h == head.TreeHash {
		return nil, nil
	}
	tree, err := commitTree(head)
	if err != nil {
		return nil, fmt.Errorf("HEAD: %w", err)
	}
	trees, err := s.idx.cacheTrees()
	if err != nil {
		return nil, err
	}
	var out []string
	if err := stagedDiff(repo, "", tree, s.entries, trees, &out); err != nil {
		return nil, err
	}
	return s.withoutSubmodules(tree, out), nil
}

// stagedDiff compares the index entries under dir (ents, contiguous and
// sorted) with head's tree for dir (nil when head has no such folder).
func stagedDiff(repo *git.Repository, dir string, tree *object.Tree, ents []entry, trees map[string]plumbing.Hash, out *[]string) error {
	if tree != nil {
		if h, ok := trees[dir]; ok && h == tree.Hash {
			return nil
		}
	}
	inTree := map[string]object.TreeEntry{}
	if tree != nil {
		for _, te := range tree.Entries {
			inTree[te.Name] = te
		}
	}
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	if len(ents) == 1 && ents[0].name == prefix && ents[0].isSparseDir() {
		return stagedSparseDir(repo, dir, tree, ents[0], out)
	}
	for i := 0; i < len(ents); {
		rest := ents[i].name[len(prefix):]
		slash := strings.IndexByte(rest, '/')
		if slash < 0 { // a file directly in dir
			e := ents[i]
			te, ok := inTree[rest]
			delete(inTree, rest)
			if !ok || te.Hash != e.hash || te.Mode != e.mode || e.stage != 0 {
				*out = append(*out, e.name)
			}
			i++
			continue
		}
		name := rest[:slash]
		j := i + 1
		for j < len(ents) && strings.HasPrefix(ents[j].name, prefix+name+"/") {
			j++
		}
		var sub *object.Tree
		if te, ok := inTree[name]; ok {
			delete(inTree, name)
			if te.Mode == filemode.Dir {
				t, err := repo.TreeObject(te.Hash)
				if err != nil {
					return fmt.Errorf("read tree %s: %w", prefix+name, err)
				}
				sub = t
			} else {
				*out = append(*out, prefix+name) // a file became a folder
			}
		}
		if err := stagedDiff(repo, prefix+name, sub, ents[i:j], trees, out); err != nil {
			return err
		}
		i = j
	}
	// What head has and the index does not: removed from the index.
	for name, te := range inTree {
		if te.Mode != filemode.Dir {
			*out = append(*out, prefix+name)
			continue
		}
		t, err := repo.TreeObject(te.Hash)
		if err != nil {
			return fmt.Errorf("read tree %s: %w", prefix+name, err)
		}
		err = treeFiles(repo.TreeObject, prefix+name+"/", t, func(p string, _ object.TreeEntry) error {
			*out = append(*out, p)
			return nil
		})
		if err != nil {
			return fmt.Errorf("list tree %s: %w", prefix+name, err)
		}
	}
	return nil
}
