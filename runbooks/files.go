package runbooks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Files expands paths into runbook files: a file is taken as it is, a
// directory is searched (hidden ones aside) for .yaml and .yml files,
// sorted.
func Files(paths []string) ([]string, error) {
	found, err := FindFiles(paths, IsRunbookFile)
	if err != nil {
		return nil, err
	}
	files := make([]string, len(found))
	for i, f := range found {
		files[i] = f.Path
	}
	return files, nil
}

// Found is a file FindFiles found, and whether it was in a directory named
// rather than named itself.
type Found struct {
	Path        string
	InDirectory bool
}

// FindFiles expands paths: a file is taken as it is; a directory is
// searched, hidden ones aside, for the files keep takes, sorted.
func FindFiles(paths []string, keep func(path string) bool) ([]Found, error) {
	var files []Found
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s: no such file or directory", p)
			}
			return nil, err
		}
		if !info.IsDir() {
			files = append(files, Found{Path: p})
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && keep(path) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no *.yaml or *.yml files in this directory", p)
		}
		slices.Sort(found)
		for _, f := range found {
			files = append(files, Found{Path: f, InDirectory: true})
		}
	}
	return files, nil
}

// IsRunbookFile says whether a file in a runbook directory is a runbook:
// a .yaml or .yml file, other than the configuration (crier.yaml) and
// the directory (directory.yaml) that may sit beside them.
func IsRunbookFile(path string) bool {
	name := strings.ToLower(filepath.Base(path))
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	return (ext == ".yaml" || ext == ".yml") && base != "crier" && base != "directory"
}
