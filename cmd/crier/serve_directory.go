package main

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/directory"
	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/examples"
	"github.com/crierhq/crier/runbooks"
)

// servedDirectory is where crier serve finds the directory: the file
// crier.yaml names, else directory.yaml beside the runbooks, else, on the
// embedded default, the examples' built into crier. fsys is the file's
// folder, where its lists are read; fsys is nil when there is none.
func servedDirectory(cfg *config.Config) (fsys fs.FS, name string) {
	if p := cfg.DirectoryPath(); p != "" {
		return os.DirFS(filepath.Dir(p)), filepath.Base(p)
	}
	if len(cfg.Runbooks) == 0 {
		return examples.FS, examples.DirectoryFile
	}
	for _, r := range cfg.Runbooks {
		folder := r
		if info, err := os.Stat(r); err == nil && !info.IsDir() {
			folder = filepath.Dir(r)
		}
		if info, err := os.Stat(filepath.Join(folder, directoryFileName)); err == nil && !info.IsDir() {
			return os.DirFS(folder), directoryFileName
		}
	}
	return nil, ""
}

// loadServedDirectory puts the directory file in force when it has changed
// since it was last loaded, as the leader does on taking the lead. A file
// with problems leaves the directory the record holds in force, and says
// so: what was loaded before is never lost to a typo.
func loadServedDirectory(ctx context.Context, eng *engine.Engine, cfg *config.Config, log *slog.Logger) {
	fsys, name := servedDirectory(cfg)
	if fsys == nil {
		return
	}
	shown := name
	if p := cfg.DirectoryPath(); p != "" {
		shown = p
	}
	if _, err := directory.OpenFS(fsys, name); errors.As(err, new(runbooks.ErrorList)) {
		log.Error("the directory file has problems; crier goes on with the directory it last loaded, if any", "file", shown, "problems", err.Error())
		return
	}
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		log.Error("reading the directory", "file", shown, "err", err)
		return
	}
	loaded, err := eng.LoadDirectoryFile(ctx, src, shown)
	switch {
	case err != nil:
		log.Error("loading the directory", "file", shown, "err", err)
	case loaded:
		log.Info("directory loaded from its file", "file", shown)
	}
	if err := eng.ListProblems(); err != nil {
		log.Error("some contact lists could not be read; messages to them fail, on the record", "problems", err.Error())
	}
}
