package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/crierhq/crier/runbooks"
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

// DirectoryNamed is the directory file the configuration at path names,
// read as Check reads the file, apart from the environment: "" when it
// names none. A configuration with errors returns them, as Check does, and
// a directory given as an ${ENV_VAR} reference is an error: it is resolved
// only where crier runs on the file.
func DirectoryNamed(path string) (string, error) {
	l, err := check(path)
	if err != nil {
		return "", err
	}
	if raw, ok := l.c.refs["directory"]; ok {
		p := l.pos.At("directory")
		return "", runbooks.ErrorList{{File: path, Line: p.Line, Column: p.Column, Severity: runbooks.SeverityError, Path: "directory",
			Message: fmt.Sprintf("%s is resolved only where crier runs on this file, so crier validate and plan cannot find the directory by it; name the directory file with --directory", raw)}}
	}
	return l.c.DirectoryPath(), nil
}
