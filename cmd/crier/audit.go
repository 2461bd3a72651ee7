package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/crierhq/crier/config"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/record"
)

func runAudit(ctx context.Context, args []string, e env) int {
	flags := newFlags("audit", "verify [--config FILE | --data-dir DIR] [--head HEX]",
		"Check crier's record in a data directory while crier is stopped: the latest snapshot\n"+
			"against its checksum and every command in the log against the record's hash chain.\n"+
			"It names the first broken link. With --head (a report's record head), it also checks\n"+
			"that the record still holds that link: the record up to there is as it was.")
	dataDir, head := dataDirFlags(flags), flags.String("head", "", "a chain head to find, as a report gives it")
	rest, code, ok := parseFlags(flags, args, e)
	if !ok {
		return code
	}
	if len(rest) != 1 || rest[0] != "verify" {
		fmt.Fprintln(e.stderr, "crier audit: say what to do: crier audit verify [--config FILE | --data-dir DIR]")
		return exitUsage
	}
	cfg, code, ok := dataDir(e)
	if !ok {
		return code
	}
	dir := cfg.DataDir
	v, err := record.Verify(dir)
	if err != nil {
		fmt.Fprintf(e.stderr, "crier audit verify: %v\n", err)
		return exitError
	}
	if v.Broken != 0 {
		fmt.Fprintf(e.stdout, "The record in %s is BROKEN at command %d: %s.\n", dir, v.Broken, v.Problem)
		return exitError
	}
	snapshot := "no snapshot"
	if v.Snapshot != 0 {
		snapshot = fmt.Sprintf("a snapshot at command %d", v.Snapshot)
	}
	fmt.Fprintf(e.stdout, "The record in %s is intact: %d commands checked in log entries %d to %d, and %s.\n", dir, v.Commands, v.First, v.Last, snapshot)
	fmt.Fprintf(e.stdout, "Its head is command %d, link %s.\n", v.HeadIndex, hex.EncodeToString(v.Head[:]))
	if *head == "" {
		return exitOK
	}
	var want [32]byte
	if b, err := hex.DecodeString(*head); err != nil || len(b) != len(want) {
		fmt.Fprintf(e.stderr, "crier audit verify: --head %q is not a chain head (64 hex characters)\n", *head)
		return exitUsage
	} else {
		copy(want[:], b)
	}
	if i, ok := v.Links[want]; ok {
		fmt.Fprintf(e.stdout, "The head %s is command %d's link: the record up to there is as it was.\n", *head, i)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "The head %s is NOT in this record: it has been rewritten, or that command is older than the log and snapshot kept here.\n", *head)
	return exitError
}

// dataDirFlags adds --config and --data-dir, and reads the configuration
// they name: the file's (or the default), its data_dir replaced by
// --data-dir when given.
func dataDirFlags(flags *flag.FlagSet) func(e env) (*config.Config, int, bool) {
	configFile := flags.String("config", "", "the crier.yaml whose data_dir to use")
	dir := flags.String("data-dir", "", "the data directory (instead of the configuration's)")
	return func(e env) (*config.Config, int, bool) {
		cfg := config.Default()
		if *configFile != "" {
			var code int
			var ok bool
			if cfg, code, ok = loadConfig(*configFile, e); !ok {
				return nil, code, false
			}
		}
		if *dir != "" {
			cfg.DataDir = *dir
		}
		return cfg, 0, true
	}
}

func runSnapshot(ctx context.Context, args []string, e env) int {
	flags := newFlags("snapshot", "save FILE | restore [--config FILE | --data-dir DIR] FILE",
		"save: write the whole state of a running crier server to FILE, consistent while it\n"+
			"runs (an admin's token in CRIER_TOKEN; the server in --server or CRIER_SERVER).\n"+
			"restore: with crier stopped, replace the state in a data directory with FILE's. For\n"+
			"disaster recovery into a fresh data directory (or cluster), not for normal running.")
	server := clientFlags(flags)
	dataDir := dataDirFlags(flags)
	rest, code, ok := parseFlags(flags, args, e)
	if !ok {
		return code
	}
	if len(rest) != 2 || (rest[0] != "save" && rest[0] != "restore") {
		fmt.Fprintln(e.stderr, "crier snapshot: crier snapshot save FILE, or crier snapshot restore FILE")
		return exitUsage
	}
	file := rest[1]
	if rest[0] == "save" {
		return saveSnapshot(ctx, e, *server, file)
	}
	cfg, code, ok := dataDir(e)
	if !ok {
		return code
	}
	if err := restoreSnapshot(ctx, cfg, file); err != nil {
		fmt.Fprintf(e.stderr, "crier snapshot restore: %v\n", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "The record in %s now holds the state saved in %s.\n", cfg.DataDir, file)
	return exitOK
}

// saveSnapshot fetches a snapshot from the server into file, which is
// only written once the whole snapshot has arrived and matches the
// SHA-256 the server sent after it.
func saveSnapshot(ctx context.Context, e env, server, file string) int {
	c, ok := newClient("snapshot save", server, e)
	if !ok {
		return exitUsage
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".crier-snapshot-*")
	if err != nil {
		fmt.Fprintf(e.stderr, "crier snapshot save: %v\n", err)
		return exitError
	}
	defer os.Remove(tmp.Name())
	err = c.download(ctx, "/api/v1/snapshot", tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "crier snapshot save: %v\n", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "Saved the state of %s in %s.\n", c.server, file)
	return exitOK
}

// restoreSnapshot starts a new record in a fresh data directory from a
// saved state. A node of a cluster starts it alone, as itself; the others
// then join it with fresh data directories (crier serve --join).
func restoreSnapshot(ctx context.Context, cfg *config.Config, file string) error {
	if _, db, _ := record.Files(cfg.DataDir); exists(db) {
		return fmt.Errorf("%s already holds a record: restore into a fresh data directory", cfg.DataDir)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	head, err := state.SnapshotHead(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	alone := *cfg
	if cfg.Cluster != nil {
		cl := *cfg.Cluster
		cl.Peers = nil
		alone.Cluster = &cl
	}
	node, _, err := openRecord(ctx, &alone, slog.New(slog.DiscardHandler), "")
	if err != nil {
		return err
	}
	defer node.Close()
	return node.Restore(f, info.Size(), head.Index)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
