package notifiers

import (
	"bufio"
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
