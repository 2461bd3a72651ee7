package engine

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// An exercise runs from real time to 10,000 times faster; 0 leaves an
// activation unpaced. Anything else is refused as invalid, saying the range.
func TestSpeedRange(t *testing.T) {
	for _, tc := range []struct {
		speed float64
		ok    bool
	}{
		{0, true},
		{1, true},
		{60, true},
		{MaxSpeed, true},
		{0.5, false},
		{-1, false},
		{MaxSpeed + 1, false},
		{1e308, false},
	} {
		e, _ := newEngine(t, nil)
		_, err := e.Apply(context.Background(), &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "exercise", Speed: tc.speed})
		checkSpeedError(t, "activating", tc.speed, tc.ok, err)

		if tc.speed == 0 {
			continue // 0 is not a pace to change to
		}
		drill := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "exercise", Speed: 60}))
		_, err = e.Apply(context.Background(), &SetSpeed{Activation: drill, Speed: tc.speed, Wall: time.Now()})
		checkSpeedError(t, "changing to", tc.speed, tc.ok, err)
	}
	e, _ := newEngine(t, nil)
	drill := ActivationID(apply(t, e, &Activate{Source: readRunbook(t, "plan.good.yaml"), SourceName: "p.yaml", Mode: "exercise", Speed: 60}))
	if _, err := e.Apply(context.Background(), &SetSpeed{Activation: drill, Speed: 0, Wall: time.Now()}); !errors.Is(err, ErrInvalid) {
		t.Errorf("changing to speed 0: %v, want invalid", err)
	}
	// A command cannot carry NaN or infinity at all: it is refused as it is written.
	for _, speed := range []float64{math.NaN(), math.Inf(1)} {
		if _, err := e.Apply(context.Background(), &SetSpeed{Activation: drill, Speed: speed, Wall: time.Now()}); err == nil {
			t.Errorf("changing to speed %g was accepted", speed)
		}
	}
	if err := checkSpeed(math.NaN()); !errors.Is(err, ErrInvalid) {
		t.Errorf("checkSpeed(NaN) = %v", err)
	}
}

func checkSpeedError(t *testing.T, doing string, speed float64, ok bool, err error) {
	t.Helper()
	switch {
	case ok && err != nil:
		t.Errorf("%s speed %g: %v", doing, speed, err)
	case !ok && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), SpeedRange)):
		t.Errorf("%s speed %g: %v, want invalid naming the range", doing, speed, err)
	}
}
