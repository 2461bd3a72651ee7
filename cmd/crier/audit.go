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
	flags := newFlags("audit", "verify [--config FILE | --data-dir DIR] [--head HEX [--index N]]",
		"Check crier's record in a data directory while crier is stopped: the latest snapshot\n"+
			"against its checksum and every command in the log against the record's hash chain.\n"+
			"It names the first broken link. With --head (a report's record head), it also checks\n"+
			"that the record still holds that link: the record up to there is as it was. With\n"+
			"--index, the command the report gives with the head, a head that is not there is told\n"+
			"apart: another record's (such as a drill's, kept in memory), one older than the log\n"+
			"kept, or this record's command changed since.")
	dataDir, head := dataDirFlags(flags), flags.String("head", "", "a chain head to find, as a report gives it")
	index := flags.Uint64("index", 0, "the command the head is the link of, as the report gives it")
	rest, code, ok := parseFlags(flags, args, e)
	if !ok {
		return code
	}
	if len(rest) != 1 || rest[0] != "verify" {
		fmt.Fprintln(e.stderr, "crier audit: say what to do: crier audit verify [--config FILE | --data-dir DIR]")
		return exitUsage
	}
	var want [32]byte
	if *head != "" {
		if b, err := hex.DecodeString(*head); err != nil || len(b) != len(want) {
			fmt.Fprintf(e.stderr, "crier audit verify: --head %q is not a chain head (64 hex characters)\n", *head)
			return exitUsage
		} else {
			copy(want[:], b)
		}
	} else if *index != 0 {
		fmt.Fprintln(e.stderr, "crier audit verify: --index is the command of a head: give --head too")
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
	found, at := v.FindHead(want, *index)
	fmt.Fprintln(e.stdout, headFinding(v, found, at, *head, *index))
	if found != record.HeadFound {
		return exitError
	}
	return exitOK
}

// headFinding says what the record holds of a head, in words. Only a
// command of this record at the head's own index, with another link, is
// said to be a change: a head that is simply not here may be another
// record's, such as a drill's, which is kept in memory.
func headFinding(v record.Verification, found record.HeadFinding, at uint64, head string, index uint64) string {
	const another = "it may be another record's, such as a drill's, which is kept in memory, or another data directory's"
	switch found {
	case record.HeadFound:
		if index != 0 && index != at {
			return fmt.Sprintf("The head %s is command %d's link (not command %d's, as given): the record up to there is as it was.", head, at, index)
		}
		return fmt.Sprintf("The head %s is command %d's link: the record up to there is as it was.", head, at)
	case record.HeadPastEnd:
		return fmt.Sprintf("The head %s is not in this record: this record has no command %d with that head (it ends at command %d): %s. "+
			"If it is this record's, the commands after %d have been cut off.", head, at, v.HeadIndex, another, v.HeadIndex)
	case record.HeadTooOld:
		return fmt.Sprintf("The head %s cannot be checked: command %d is older than the log and snapshot kept here (log entries %d to %d).", head, at, v.First, v.Last)
	case record.HeadDiffers:
		return fmt.Sprintf("The head %s is NOT in this record: its command %d has another link. Either the head is another record's "+
			"(a drill's, kept in memory, or another data directory's), or this record was changed after that head was taken: "+
			"check it against a head from this server's own reports.", head, at)
	}
	if at != 0 {
		return fmt.Sprintf("The head %s is not in this record: this record has no command %d with that head: %s.", head, at, another)
	}
	return fmt.Sprintf("The head %s is not in this record: this record has no command with that head: %s; or its command is older than "+
		"the log kept here (log entries %d to %d). Give --index, the command the report gives with the head, to check this record's command there.",
		head, another, v.First, v.Last)
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
