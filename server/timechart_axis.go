package server

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// The axis of planned against actual. A runbook's tightest targets are in
// its first hour (approve the holding statement within 15 minutes) and its
// last steps may be weeks away, so the axis is not linear: x grows with
// log(1 + t/1m). The first hour gets about a third of the width even when
// the axis runs to three months, and a step at T+0 and one at T+90d are
// both on it, apart. Ticks are round durations, as many as fit.

// chartUnit is the time the scale is near linear within: the first
// minutes, after which each step along the axis covers more time.
const chartUnit = time.Minute

type chartAxis struct {
	span        int64 // seconds, where the axis ends
	left, right float64
}

func newChartAxis(span int64, left, right int) chartAxis {
	return chartAxis{span: max(span, 60), left: float64(left), right: float64(right)}
}

// x is where a time since activation, in seconds, is along the axis.
func (a chartAxis) x(sec int64) float64 {
	sec = min(max(sec, 0), a.span)
	u := chartUnit.Seconds()
	x := a.left + (a.right-a.left)*math.Log1p(float64(sec)/u)/math.Log1p(float64(a.span)/u)
	return math.Round(x*10) / 10
}

// chartTicks are the round durations the axis may be labelled with, the
// most useful first: each is put on the axis if it is within the span and
// has room beside those already there.
var chartTicks = []struct {
	at    time.Duration
	label string
}{
	{time.Hour, "1h"}, {24 * time.Hour, "1d"}, {7 * 24 * time.Hour, "7d"}, {30 * 24 * time.Hour, "30d"},
	{15 * time.Minute, "15m"}, {4 * time.Hour, "4h"}, {365 * 24 * time.Hour, "365d"}, {5 * time.Minute, "5m"},
	{90 * 24 * time.Hour, "90d"}, {12 * time.Hour, "12h"}, {3 * 24 * time.Hour, "3d"}, {14 * 24 * time.Hour, "14d"},
	{30 * time.Minute, "30m"}, {time.Minute, "1m"}, {2 * time.Hour, "2h"}, {8 * time.Hour, "8h"},
	{2 * 24 * time.Hour, "2d"}, {60 * 24 * time.Hour, "60d"}, {180 * 24 * time.Hour, "180d"}, {10 * time.Minute, "10m"},
	{2 * time.Minute, "2m"},
}

// chartTickGap is the least distance between two ticks' labels' middles,
// in the SVG's units: room for "365d" beside "180d" in a phone's larger type.
const chartTickGap = 40

// ticks labels the axis: T+0 at its start, then as many round durations
// as fit, in order along it.
func (a chartAxis) ticks() []chartTick {
	out := []chartTick{{X: a.left, Label: "T+0", Anchor: "start"}}
	for _, c := range chartTicks {
		sec := int64(c.at / time.Second)
		if sec > a.span {
			continue
		}
		x := a.x(sec)
		gap := float64(chartTickGap)
		if x > a.right-16 { // its label ends at it, so reaches further left
			gap += 16
		}
		room := x-a.left >= chartTickGap+12 // T+0's label starts at the left
		for _, t := range out[1:] {
			room = room && math.Abs(t.X-x) >= gap
		}
		if room {
			out = append(out, chartTick{X: x, Label: c.label, Anchor: "middle"})
		}
	}
	slices.SortFunc(out, func(p, q chartTick) int { return cmp.Compare(p.X, q.X) })
	for i := range out {
		if i > 0 && out[i].X > a.right-16 {
			out[i].Anchor = "end"
		}
	}
	return out
}
