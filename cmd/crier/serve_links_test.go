package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const linksRunbook = `version: 1
id: links
title: Links test
stakeholders:
  - {id: liaison, name: Police community liaison, email: liaison@police.example}
channels:
  - {id: mail, type: email, to: [duty@northbridge.gov.uk]}
steps:
  - id: brief
    title: Briefing
    at: 0s
    notify:
      to: [liaison]
      subject: Briefing
      body: Please confirm you have read this.
      ack_within: 1h
`

// With server.listen set and no public_url, the links crier sends (the
// message's page, the acknowledgement link) are under the address it
// listens on, not 127.0.0.1:8080; the public feed's links follow the
// address each request came to.
func TestServeWithoutAPublicURLLinksToTheListenAddress(t *testing.T) {
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close()
	dir := t.TempDir()
	writeFile(t, dir, "links.yaml", linksRunbook)
	cfg := writeFile(t, dir, "crier.yaml", fmt.Sprintf("version: 1\ndata_dir: %[1]s/data\nserver:\n  listen: %[2]s\nrunbooks: [%[1]s/links.yaml]\nnotifiers:\n  outbox:\n    dir: %[1]s/outbox\n", dir, addr))
	srv := startServe(t, cfg)
	defer srv.stop()
	req, _ := http.NewRequest("POST", srv.url+"/api/v1/activations", strings.NewReader(`{"runbook":"links","mode":"live"}`))
	req.Header.Set("Authorization", "Bearer "+srv.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("activate: %v %v\n%s", resp, err, srv.errOut)
	}
	resp.Body.Close()
	var sent string
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(sent, "ack_url"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for the outbox; it holds %q\n%s", sent, srv.errOut)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.jsonl"))
		if len(files) > 0 {
			b, _ := os.ReadFile(files[0])
			sent = string(b)
		}
	}
	base := "http://" + addr
	for _, want := range []string{`"ack_url":"` + base + `/ack/`, `"link":"` + base + `/ui/messages/`} {
		if !strings.Contains(sent, want) {
			t.Errorf("the outbox lacks %s:\n%s", want, sent)
		}
	}
	if strings.Contains(sent, "127.0.0.1:8080") {
		t.Errorf("a link to the default address, not the one crier listens on:\n%s", sent)
	}
}
