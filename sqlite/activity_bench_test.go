//go:build unix

package sqlite_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/binvault/binvault"
)

// BenchmarkAddActivity appends batches as the recorder does, with entries
// shaped like a read load test's: a few accounts, a browser's user agent.
// It reports rows a second and the CPU time (user and system, every
// goroutine) spent per row, which is what logging takes from the server.
func BenchmarkAddActivity(b *testing.B) {
	for _, size := range []int{1000, 100} {
		b.Run(fmt.Sprintf("Batch%d", size), func(b *testing.B) {
			s := MustOpen(b, b.TempDir())
			batch := make([]binvault.Activity, size)
			accounts := make([]string, 20)
			for i := range accounts {
				accounts[i] = binvault.NewID(time.Now())
			}
			now := time.Now()
			start := cpuTime(b)
			for b.Loop() {
				for i := range batch {
					now = now.Add(37 * time.Microsecond)
					batch[i] = binvault.Activity{
						At: now, AccountID: accounts[i%len(accounts)], AuthMethod: binvault.AuthAPIKey,
						KeyID: accounts[(i+1)%len(accounts)], KeyPrefix: "bv_mk_7Hq2", Method: "GET",
						Route: "GET /v3/b/{id}", ResourceID: accounts[(i+2)%len(accounts)], Status: 200,
						IP:        "203.0.113.17",
						UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
						RequestID: "01JDQ2ZK3M4N5P6Q7R8S9T0V1W",
					}
				}
				if err := s.AddActivity(b.Context(), batch); err != nil {
					b.Fatal(err)
				}
			}
			rows := float64(b.N * size)
			b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64((cpuTime(b)-start).Microseconds())/rows, "cpu-µs/row")
		})
	}
}

// cpuTime returns the CPU time the process has used so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
