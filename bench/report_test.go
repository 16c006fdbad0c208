package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStoreRatioLines(t *testing.T) {
	run := func(scenario, target string, rps float64) measurement {
		return measurement{scenario: scenario, target: target, kind: kindBinvault, result: wrkResult{RequestsPerSec: rps}}
	}
	failed := run("create", "binvault-sqlite", 0)
	failed.err = errors.New("wrk died")
	ms := []measurement{
		run("read", "binvault-pg", 5000), run("read", "binvault-sqlite", 20000), run("read", "bare", 40000),
		run("update", "binvault-pg", 3000), run("update", "binvault-sqlite", 6000),
		run("create", "binvault-pg", 4000), failed,
		run("update-coll", "binvault-pg", 1000), // not measured on SQLite: no line
	}
	got := storeRatioLines(ms, "binvault-pg", "binvault-sqlite")
	want := []string{
		"read: 0.250 (binvault-pg 5000 ÷ binvault-sqlite 20000)",
		"update: 0.500 (binvault-pg 3000 ÷ binvault-sqlite 6000)",
		"create: — ⚠️ (binvault-pg 4000 ÷ binvault-sqlite failed)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("storeRatioLines =\n%q\nwant\n%q", got, want)
	}
	if got := storeRatioLines(ms[:3], "binvault-pg", "nothing"); got != nil {
		t.Errorf("without a comparison target: %q, want no lines", got)
	}
}

func TestRSSAndCPUCells(t *testing.T) {
	tests := []struct {
		m    measurement
		want string
	}{
		{measurement{peakRSSKiB: []int64{49152}}, "48.0 MiB"},
		{measurement{peakRSSKiB: []int64{40960, 41984}}, "40.0 + 41.0 MiB"},
		{measurement{peakRSSKiB: []int64{40960, 0}, rssCumulative: true}, "40.0 + — MiB (since start)"},
		{measurement{peakRSSKiB: []int64{0}}, "—"},
		{measurement{}, "—"},
	}
	for _, tt := range tests {
		if got := rssCell(tt.m); got != tt.want {
			t.Errorf("rssCell(%v) = %q, want %q", tt.m.peakRSSKiB, got, tt.want)
		}
	}
	ms := []measurement{
		{scenario: "read", target: "binvault-pg", cpuSeconds: []float64{4.04, 3.96}},
		{scenario: "read", target: "bare", cpuSeconds: []float64{5}},
		{scenario: "update", target: "binvault-pg", cpuSeconds: []float64{2, -1}},
	}
	if got, want := nodeLoadLines(ms), []string{"read: 4.0 + 4.0 s", "update: 2.0 + — s"}; !slices.Equal(got, want) {
		t.Errorf("nodeLoadLines = %q, want %q", got, want)
	}
}

func TestParseProcStatCPU(t *testing.T) {
	// A command name with spaces and a ')' must not shift the fields.
	line := "4242 (bin vault) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 9 0 100 123456 789 18446744073709551615\n"
	got, err := parseProcStatCPU(line)
	if err != nil || got != 3.25 {
		t.Errorf("parseProcStatCPU = %v, %v; want 3.25 s (250+75 ticks)", got, err)
	}
	if _, err := parseProcStatCPU("4242 (short) S 1 2"); err == nil {
		t.Error("truncated stat line accepted")
	}
}

// TestReportDefaultsUnchanged renders an embedded-store outcome and checks
// the wording of the single-binvault report that predates PostgreSQL.
func TestReportDefaultsUnchanged(t *testing.T) {
	cfg, err := parseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	o := outcome{cfg: cfg, binarySource: "`go build ./cmd/binvault` from the working tree",
		setups: []storeSetup{{"binvault", setupResult{}}},
		measurements: []measurement{
			{scenario: "read", target: "binvault", kind: kindBinvault, result: wrkResult{RequestsPerSec: 100, P50: time.Millisecond}, peakRSSKiB: []int64{1024}},
			{scenario: "read", target: "bare", kind: kindBare, result: wrkResult{RequestsPerSec: 400}, peakRSSKiB: []int64{1024}},
		},
		stops: []procStop{{"binvault", kindBinvault, nil}, {"bare", kindBare, nil}},
	}
	r := renderReport(o)
	for _, want := range []string{
		"| read | binvault | 100 | 1.00 ms | 0.00 ms | 0 | 0 | 0 | 1.0 MiB | 0.250 |\n",
		"| read | bare | 400 |",
		"- wrk with `-t 1 -c 32 --latency`: a 2s warm-up run (discarded) then a 10s measured run, per scenario and target, all on 127.0.0.1. Both servers run throughout; only the one being measured gets traffic.\n",
		"- binvault: `go build ./cmd/binvault` from the working tree, started with a fresh empty `--data` dir;",
		"- binvault shutdown: exited 0 after SIGTERM.\n",
	} {
		if !strings.Contains(r, want) {
			t.Errorf("report lacks %q:\n%s", want, r)
		}
	}
	for _, unwanted := range []string{"PostgreSQL", "binvault-pg", "sqlite", "node", "Spreading"} {
		if strings.Contains(r, unwanted) {
			t.Errorf("default report mentions %q:\n%s", unwanted, r)
		}
	}
}
