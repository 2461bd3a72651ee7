package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// checkDirectory checks the directory field: a .yaml file that is there,
// found relative to the configuration file.
func (l *loader) checkDirectory() {
	const path = "directory"
	c := l.c
	l.notEmpty(path, c.Directory, "the directory file, such as directory.yaml")
	if !l.ok(path) || strings.TrimSpace(c.Directory) == "" {
		return
	}
	shown := c.shown(path, c.Directory)
	if ext := strings.ToLower(filepath.Ext(c.Directory)); ext != ".yaml" && ext != ".yml" {
		l.errorf(path, "%s is not a directory file; expected a .yaml file, such as directory.yaml", shown)
		return
	}
	info, err := os.Stat(c.DirectoryPath())
	switch {
	case errors.Is(err, fs.ErrNotExist) && c.fromEnv(path):
		l.errorf(path, "%s: there is no such file (a relative path is relative to this file)", shown)
	case errors.Is(err, fs.ErrNotExist):
		l.errorf(path, "%s: there is no such file (crier looks for it at %s, relative to this file)", shown, c.DirectoryPath())
	case err != nil:
		l.errorf(path, "%s cannot be read: %v", shown, errors.Unwrap(err))
	case info.IsDir():
		l.errorf(path, "%s is a folder; name the directory file in it, such as %s", shown, filepath.ToSlash(filepath.Join(c.Directory, "directory.yaml")))
	}
}
