package record

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/crierhq/crier/engine"
)

// Forwarder passes commands given to a follower to the leader's API
// (POST /internal/v1/apply on its raft_addr, over mutual TLS), as
// engine.Options.Forward; e gives the engine, which is made with it. The
// leader is the one Raft names, once it has announced itself on taking
// the lead; until then, or while it cannot be reached, it waits and tries
// again.
func (n *Node) Forwarder(e func() *engine.Engine, secret string) func(context.Context, []byte) (uint64, error) {
	client := n.Client()
	return func(ctx context.Context, command []byte) (uint64, error) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			index, retry, err := n.forwardOnce(ctx, e(), secret, client, command)
			if !retry || time.Now().After(deadline) {
				return index, err
			}
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func (n *Node) forwardOnce(ctx context.Context, e *engine.Engine, secret string, client *http.Client, command []byte) (uint64, bool, error) {
	addr, id := n.raft.LeaderWithID()
	leader, err := e.Read().Leader(nil)
	if err != nil {
		return 0, false, err
	}
	if id == "" || leader == nil || leader.Node != string(id) {
		return 0, true, fmt.Errorf("%w, and the leader has not yet said where it is", engine.ErrNotLeader)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+string(addr)+"/internal/v1/apply", bytes.NewReader(command))
	if err != nil {
		return 0, false, err
	}
	req.Header.Set(SignatureHeader, Sign(secret, "/internal/v1/apply", command, time.Now()))
	resp, err := client.Do(req)
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Op == "dial": // it never reached the leader: safe to try again
		n.log.Warn("passing a command to the leader", "leader", leader.Node, "err", err)
		return 0, true, fmt.Errorf("%w: the leader %s cannot be reached yet", engine.ErrNotLeader, leader.Node)
	case err != nil: // it may have been applied: trying again could do it twice
		n.log.Error("passing a command to the leader", "leader", leader.Node, "err", err)
		return 0, false, fmt.Errorf("the cluster's leader did not answer: this may or may not have been recorded; check before doing it again")
	}
	defer resp.Body.Close()
	var answer struct {
		Index uint64 `json:"index"`
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&answer); err != nil {
		n.log.Error("the leader's answer to a command passed on", "leader", leader.Node, "err", err)
		return 0, false, fmt.Errorf("the cluster's leader did not answer: this may or may not have been recorded; check before doing it again")
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return answer.Index, false, nil
	case resp.StatusCode == http.StatusMisdirectedRequest: // it no longer leads
		return 0, true, fmt.Errorf("%w: %s", engine.ErrNotLeader, answer.Error)
	}
	kinds := map[string]error{"not_found": engine.ErrNotFound, "forbidden": engine.ErrNotAllowed, "unprocessable": engine.ErrInvalid}
	if kind, ok := kinds[answer.Code]; ok {
		return 0, false, engine.Refusal(kind, answer.Error)
	}
	return 0, false, errors.New(answer.Error)
}

// Join asks a running cluster, through any of its nodes' raft_addr (over
// mutual TLS), to add this node, until one of them, or the leader it
// names, does.
func (n *Node) Join(ctx context.Context, via, secret string) error {
	client := n.Client()
	body, _ := json.Marshal(map[string]string{"id": n.cfg.NodeID, "raft_addr": n.RaftAddr()})
	for {
		err := n.joinOnce(ctx, via, secret, client, body, 0)
		if err == nil {
			return nil
		}
		n.log.Warn("joining the cluster", "via", via, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("joining the cluster through %s: %w", via, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (n *Node) joinOnce(ctx context.Context, via, secret string, client *http.Client, body []byte, depth int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+via+"/internal/v1/join", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set(SignatureHeader, Sign(secret, "/internal/v1/join", body, time.Now()))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var answer struct{ Error, Leader string }
	json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&answer)
	if answer.Leader != "" && answer.Leader != via && depth < 3 { // a follower names the leader's raft_addr
		return n.joinOnce(ctx, answer.Leader, secret, client, body, depth+1)
	}
	return fmt.Errorf("%s: %s", resp.Status, answer.Error)
}
