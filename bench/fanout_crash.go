package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"
)

// crash is what a crier serve process killed in the middle of fan-outs
// came to, restarted on the same record and left to finish.
type crash struct {
	total, atKill int
	lost          int // deliveries not sent, or sent and never received
	unmarked      int // received more than once, the record not saying it may have been
	marked        int // the record says possibly duplicated: in flight at the kill
	twice         int // received more than once
	finish        time.Duration
}

// crashed starts activations of f.People each, each to people of its own,
// through a crier serve process; kills it (SIGKILL, as a power cut) once
// half of all their deliveries are posted; starts it again on the same
// record; and waits until each activation's report has every delivery
// sent. Each delivery is then checked against what its person received.
func (f *fanout) crashed(ctx context.Context, activations int) (crash, error) {
	c := crash{total: activations * f.People}
	runbooks := map[string][]byte{}
	for a := range activations {
		runbooks[fmt.Sprintf("crash%d.yaml", a)] = people(fmt.Sprintf("crash%d", a), f.People, "slack", (a+1)*f.People)
	}
	dir, token, err := f.serveDir(runbooks)
	if err != nil {
		return c, err
	}
	defer os.RemoveAll(dir)
	f.slack.countEach()
	from := f.slack.posts.Load()
	p, err := f.startCrier(ctx, dir, token)
	if err != nil {
		return c, err
	}
	var ids []string
	for a := range activations {
		id, err := activate(ctx, p.url, token, fmt.Sprintf("crash%d", a))
		if err != nil {
			p.kill()
			return c, err
		}
		ids = append(ids, id)
	}
	if err := f.posted(ctx, p, from+int64(c.total/2)); err != nil {
		p.kill()
		return c, err
	}
	p.kill()
	c.atKill = int(f.slack.posts.Load() - from)
	restarted := time.Now()
	if p, err = f.startCrier(ctx, dir, token); err != nil {
		return c, err
	}
	defer p.stop()
	var reports []*deliveryReport
	within, stop := context.WithTimeout(ctx, 10*time.Minute)
	defer stop()
	for _, id := range ids {
		r, err := finished(within, p, token, id)
		if err != nil {
			return c, err
		}
		reports = append(reports, r)
	}
	c.finish = time.Since(restarted)
	for _, r := range reports {
		if len(r.Deliveries) != f.People {
			return c, fmt.Errorf("a report has %d deliveries; want %d", len(r.Deliveries), f.People)
		}
		for _, d := range r.Deliveries {
			n := f.slack.sentTo(d.Target)
			switch {
			case d.Status != "sent" || n == 0:
				c.lost++
			case n > 1 && !d.PossiblyDuplicated:
				c.unmarked++
			}
			if n > 1 {
				c.twice++
			}
			if d.PossiblyDuplicated {
				c.marked++
			}
		}
	}
	return c, nil
}

// deliveryReport is what the activation report says of its messages and
// deliveries.
type deliveryReport struct {
	Messages []struct {
		State string `json:"state"`
	} `json:"messages"`
	Deliveries []struct {
		Target             string `json:"target"`
		Status             string `json:"status"`
		PossiblyDuplicated bool   `json:"possibly_duplicated"`
	} `json:"deliveries"`
}

// finished waits until every message of an activation's report has
// finished — sent, or failed in part or whole (its deliveries then count
// as lost) — and returns it.
func finished(ctx context.Context, p *crierProcess, token, activation string) (*deliveryReport, error) {
	for {
		if err := p.running(); err != nil {
			return nil, err
		}
		r, err := report(ctx, p.url, token, activation)
		if err != nil {
			return nil, err
		}
		done := len(r.Messages) > 0
		for _, m := range r.Messages {
			done = done && m.State != "dispatching" && m.State != "pending_approval"
		}
		if done {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("activation %s had not finished: %w", activation, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// report reads an activation's report over the API, as a planner would.
func report(ctx context.Context, base, token, activation string) (*deliveryReport, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/activations/"+activation+"/report", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the report of %s: %s", activation, resp.Status)
	}
	var r deliveryReport
	return &r, json.NewDecoder(resp.Body).Decode(&r)
}
