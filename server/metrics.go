package server

import (
	"net/http"

	"github.com/crierhq/crier/engine"
	"github.com/crierhq/crier/engine/state"
	"github.com/crierhq/crier/notifiers"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are what /metrics shows. Counts of activations, messages, tasks
// and outstanding deliveries are read from the record at each scrape; the
// rest are counted as things happen.
type Metrics struct {
	registry *prometheus.Registry
	// Deliveries counts finished deliveries by channel type and outcome
	// (sent, failed); the dispatcher's Observe hook feeds it.
	Deliveries *prometheus.CounterVec
	// Approval is how long messages waited for approval, drafted to dispatched.
	Approval prometheus.Histogram
	// Lateness is how late the scheduler fired occurrences.
	Lateness prometheus.Histogram
}

// NewMetrics registers crier's metrics, and Go's own, for an engine.
func NewMetrics(e *engine.Engine) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "crier_deliveries_total",
			Help: "Deliveries finished, by channel type and outcome."}, []string{"type", "outcome"}),
		Approval: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "crier_approval_seconds",
			Help:    "How long messages waited for approval, from drafted to dispatched.",
			Buckets: []float64{30, 60, 120, 300, 600, 900, 1800, 3600, 7200}}),
		Lateness: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "crier_scheduler_lateness_seconds",
			Help:    "How late the scheduler fired occurrences.",
			Buckets: []float64{0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}}),
	}
	m.registry.MustRegister(m.Deliveries, m.Approval, m.Lateness, newRecordCollector(e),
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	e.OnCommit(func(c engine.Committed) {
		for _, ev := range c.Events {
			if ev.Kind != "message_dispatched" {
				continue
			}
			if msg, err := e.Read().Message(nil, ev.Subject); err == nil && msg != nil && msg.NeedsApproval {
				m.Approval.Observe(ev.At.Sub(msg.CreatedAt).Seconds())
			}
		}
	})
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Observe counts a finished delivery: the dispatcher's Observe hook.
func (m *Metrics) Observe(o notifiers.Outcome) {
	outcome := "sent"
	if o.Err != nil {
		outcome = "failed"
	}
	m.Deliveries.WithLabelValues(o.Message.Type, outcome).Inc()
}

// recordCollector reads counts from the record when scraped.
type recordCollector struct {
	e                                         *engine.Engine
	activations, messages, tasks, outstanding *prometheus.Desc
}

func newRecordCollector(e *engine.Engine) *recordCollector {
	return &recordCollector{e: e,
		activations: prometheus.NewDesc("crier_activations", "Activations, by state and mode.", []string{"state", "mode"}, nil),
		messages:    prometheus.NewDesc("crier_messages", "Messages, by state.", []string{"state"}, nil),
		tasks:       prometheus.NewDesc("crier_tasks", "Tasks, by state.", []string{"state"}, nil),
		outstanding: prometheus.NewDesc("crier_deliveries_outstanding", "Deliveries not yet finished: pending, or attempted and waiting.", []string{"state"}, nil),
	}
}

func (c *recordCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.activations, c.messages, c.tasks, c.outstanding} {
		ch <- d
	}
}

func (c *recordCollector) Collect(ch chan<- prometheus.Metric) {
	tx := c.e.Read()
	if as, err := tx.Activations(nil); err == nil {
		counts := map[[2]string]int{}
		for _, a := range as {
			counts[[2]string{a.State, a.Mode}]++
		}
		for k, n := range counts {
			ch <- prometheus.MustNewConstMetric(c.activations, prometheus.GaugeValue, float64(n), k[0], k[1])
		}
	}
	for _, st := range []string{state.MessagePendingApproval, state.MessageDispatching, state.MessageSent, state.MessagePartiallyFailed,
		state.MessageFailed, state.MessageRejected, state.MessageCancelled} {
		if ms, err := tx.MessagesInState(nil, st); err == nil {
			ch <- prometheus.MustNewConstMetric(c.messages, prometheus.GaugeValue, float64(len(ms)), st)
		}
	}
	for _, st := range []string{state.TaskOpen, state.TaskAcknowledged, state.TaskDone, state.TaskCancelled} {
		if ts, err := tx.TasksInState(nil, st); err == nil {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(len(ts)), st)
		}
	}
	for _, st := range []string{state.DeliveryPending, state.DeliveryAttempted} {
		if ds, err := tx.DeliveriesInState(nil, st); err == nil {
			ch <- prometheus.MustNewConstMetric(c.outstanding, prometheus.GaugeValue, float64(len(ds)), st)
		}
	}
}
