package notifiers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestOutboxWritesOneLinePerDelivery(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	now := time.Date(2026, 5, 22, 22, 31, 0, 0, time.UTC)
	o := &Outbox{Dir: dir, Now: func() time.Time { return now }}
	for _, d := range []string{"d1", "d2"} {
		if _, err := o.Notify(context.Background(), Message{Delivery: d, Activation: "a-000001", Type: "email",
			Target: "duty@northbridge.gov.uk", Subject: "Incident", Body: "Avoid the area"}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(filepath.Join(dir, "a-000001.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []OutboxEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e OutboxEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, e)
	}
	if len(got) != 2 || got[0].Delivery != "d1" || got[1].Subject != "Incident" || !got[0].At.Equal(now) {
		t.Errorf("outbox holds %+v", got)
	}
}

// An outbox given a File writes every message there, whatever its
// activation: a drill's deliveries in a file of the drill's own.
func TestOutboxWithAFileOfItsOwn(t *testing.T) {
	dir := t.TempDir()
	o := &Outbox{Dir: dir, File: "drill-flood-20261122T100000Z.jsonl", Now: time.Now}
	for _, a := range []string{"a-000001", "a-000002"} {
		if _, err := o.Notify(context.Background(), Message{Delivery: "d", Activation: a, Type: "email", Body: "Avoid the area"}); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 || files[0].Name() != o.File {
		t.Fatalf("the outbox holds %v, want only %s", files, o.File)
	}
	data, _ := os.ReadFile(filepath.Join(dir, o.File))
	if n := bytes.Count(data, []byte("\n")); n != 2 {
		t.Errorf("%s holds %d lines, want 2", o.File, n)
	}
}
