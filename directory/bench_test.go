package directory

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"testing"
	"time"
)

// BenchmarkLoadList measures loading a list of 100,000 rows against the
// floor under it: encoding/csv alone reading the same bytes, timed in the
// same run so that the ratio means something on a shared, noisy machine.
// The x-csv metric is ParseList's time divided by encoding/csv's.
func BenchmarkLoadList(b *testing.B) {
	data := generatedList(100_000)
	csvOnly := timePer(func() {
		r := csv.NewReader(bytes.NewReader(data))
		r.ReuseRecord = true
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			}
		}
	})
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	start := time.Now()
	for b.Loop() {
		if _, err := ParseList("bench.csv", data); err != nil {
			b.Fatal(err)
		}
	}
	per := time.Since(start) / time.Duration(max(b.N, 1))
	b.ReportMetric(float64(per)/float64(csvOnly), "x-csv")
}

// BenchmarkOnDuty is who is on a rota's duty with 10 and with 1,000
// overrides: a hundred times as many should cost only a few more steps of
// the binary search.
func BenchmarkOnDuty(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("%d-overrides", n), func(b *testing.B) {
			d := manyOverrides(b, n)
			at := time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
			for b.Loop() {
				if _, err := d.OnDuty("r", at); err != nil {
					b.Fatal(err)
				}
				at = at.Add(7 * time.Hour)
				if at.Year() > 2034 {
					at = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
				}
			}
		})
	}
}

// generatedList is a list of n fictional residents, every column filled.
func generatedList(n int) []byte {
	var b bytes.Buffer
	b.WriteString("name,email,phone,language\n")
	langs := []string{"en", "cy", "ur", "pl", "pa-Arab"}
	for i := range n {
		fmt.Fprintf(&b, "Resident %d,resident.%d@example.org,+4477009%05d,%s\n", i, i, i, langs[i%len(langs)])
	}
	return b.Bytes()
}

// timePer is f's mean time over enough runs to take about 200ms.
func timePer(f func()) time.Duration {
	n := 1
	for {
		start := time.Now()
		for range n {
			f()
		}
		if el := time.Since(start); el > 200*time.Millisecond || n > 1<<20 {
			return el / time.Duration(n)
		}
		n *= 2
	}
}
