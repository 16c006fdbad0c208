package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Target kinds: the binvault rows are divided by the bare row.
const (
	kindBinvault = "binvault"
	kindBare     = "bare"
)

// target is one server under test: one process, or the nodes of a
// multi-node binvault, which get the load together and are reported as one.
type target struct {
	name      string // "binvault", "binvault-pg", "binvault-sqlite" or "bare"
	kind      string // kindBinvault or kindBare
	procs     []*proc
	bases     []string   // http://127.0.0.1:PORT of each process
	key       string     // the admin key (binvault targets)
	scenarios []scenario // prepared on this target's store (bare: the primary's)
}

// measurement is the outcome of one measured wrk run.
type measurement struct {
	scenario, target string
	kind             string // the target's kind
	result           wrkResult
	err              error   // wrk could not run or its output was unparsable
	peakRSSKiB       []int64 // per process of the target; 0 if unavailable
	rssCumulative    bool    // VmHWM could not be reset: peak since process start
	serverDied       bool    // a server process was not running after the run
	// cpuSeconds is the CPU time each process of the target used during
	// the measured run (-1 if unavailable): with several nodes it shows
	// that the load really was spread over all of them.
	cpuSeconds []float64
}

// flagged reports whether the row must be called out in the report.
func (m measurement) flagged() bool { return m.err != nil || m.serverDied || m.result.HasErrors() }

// storeSetup is what setup found and proved on one binvault target.
type storeSetup struct {
	target string
	setup  setupResult
}

// procStop is how one server process exited after SIGTERM.
type procStop struct {
	name, kind string
	err        error
}

// logTail is the end of a binvault process's output.
type logTail struct{ name, text string }

// outcome is everything the report is rendered from.
type outcome struct {
	cfg          config
	machine      machineInfo
	binarySource string
	db           *benchDatabase // nil on the embedded store
	dbDropErr    error
	setups       []storeSetup // one per binvault target, the primary first
	measurements []measurement
	sse          []sseResult // the sse scenario, per binvault target
	stops        []procStop  // every server process, binvault first
	logNotes     []string    // panics or races found in binvault logs
	logTails     []logTail   // binvault's last log lines, kept when something failed
	nodeFindings []string    // multi-node startup problems
}

// primarySetup is the setup of the first binvault target, whose
// scenarios the bare server replays and the report describes.
func (o outcome) primarySetup() setupResult {
	if len(o.setups) == 0 {
		return setupResult{}
	}
	return o.setups[0].setup
}

// flaggedCount is the number of measurements, shutdowns and cleanups with
// errors.
func (o outcome) flaggedCount() int {
	n := len(o.logNotes) + len(o.nodeFindings)
	for _, m := range o.measurements {
		if m.flagged() {
			n++
		}
	}
	for _, r := range o.sse {
		if r.err != nil {
			n++
		}
	}
	for _, s := range o.stops {
		if s.err != nil {
			n++
		}
	}
	if o.dbDropErr != nil {
		n++
	}
	return n
}

// run performs the whole benchmark and returns the Markdown report. All
// servers are stopped, the temp dir removed and the PostgreSQL database
// dropped on every return path.
func run(ctx context.Context, cfg config, wrkPath string, progress io.Writer) (string, int, error) {
	tmp, err := os.MkdirTemp("", "binvault-bench-")
	if err != nil {
		return "", 0, err
	}
	defer os.RemoveAll(tmp)

	out := outcome{cfg: cfg, machine: probeMachine(ctx, wrkPath)}
	bin, source, err := resolveBinary(ctx, cfg, tmp, progress)
	if err != nil {
		return "", 0, err
	}
	out.binarySource = source

	var targets []target
	if cfg.databaseURL != "" {
		db, err := createBenchDatabase(ctx, cfg.databaseURL, os.Getpid())
		if err != nil {
			return "", 0, err
		}
		// Deferred before the nodes are started, so it runs after they
		// are stopped.
		defer db.drop()
		out.db = db
		progressf(progress, "created PostgreSQL database %s (%s)", db.name, db.server)
		t, err := startPostgresNodes(ctx, cfg, bin, tmp, db, &out, progress)
		for _, p := range t.procs {
			defer p.stop()
		}
		if err != nil {
			return "", 0, err
		}
		targets = append(targets, t)
	}
	if cfg.databaseURL == "" || cfg.compareSQLite {
		name := "binvault"
		if cfg.databaseURL != "" {
			name = "binvault-sqlite"
		}
		t, err := startEmbedded(ctx, cfg, bin, tmp, name, &out, progress)
		if err != nil {
			return "", 0, err
		}
		defer t.procs[0].stop()
		targets = append(targets, t)
	}

	primary := out.primarySetup()
	bare, bareBase, err := startBare(ctx, tmp, bareRoutes(primary.scenarios))
	if err != nil {
		return "", 0, err
	}
	defer bare.stop()
	progressf(progress, "bare server ready at %s", bareBase)
	targets = append(targets, target{name: "bare", kind: kindBare, procs: []*proc{bare}, bases: []string{bareBase}, scenarios: primary.scenarios})

	if out.measurements, err = measureAll(ctx, cfg, wrkPath, tmp, targets, progress); err != nil {
		return "", 0, err
	}
	if slices.Contains(cfg.scenarios, sseScenario) {
		out.sse = measureSSEAll(ctx, cfg, targets, progress)
	}

	progressf(progress, "stopping servers (SIGTERM)")
	for _, t := range targets {
		for _, p := range t.procs {
			out.stops = append(out.stops, procStop{name: p.name, kind: t.kind, err: p.stop()})
		}
	}
	if out.db != nil {
		progressf(progress, "dropping PostgreSQL database %s", out.db.name)
		out.dbDropErr = out.db.drop()
	}
	for _, t := range targets[:len(targets)-1] {
		for _, p := range t.procs {
			if note := scanServerLog(p.name, p.logPath); note != "" {
				out.logNotes = append(out.logNotes, note)
			}
		}
	}
	if out.flaggedCount() > 0 {
		for _, t := range targets[:len(targets)-1] {
			for _, p := range t.procs {
				out.logTails = append(out.logTails, logTail{p.name, tailFile(p.logPath, 30)})
			}
		}
	}
	return renderReport(out), out.flaggedCount(), nil
}

// startEmbedded starts one binvault on a fresh data dir (the embedded
// store) and prepares the scenarios on it.
func startEmbedded(ctx context.Context, cfg config, bin, tmp, name string, out *outcome, progress io.Writer) (target, error) {
	progressf(progress, "starting %s (%s)", name, bin)
	logName, dataDir := "binvault.log", "data"
	if name != "binvault" {
		logName, dataDir = name+".log", name+"-data"
	}
	bv, err := startBinvault(ctx, bin, tmp, binvaultStart{name: name, logName: logName, dataDir: dataDir, expectKey: true})
	if err != nil {
		return target{}, err
	}
	t := target{name: name, kind: kindBinvault, procs: []*proc{bv.proc}, bases: []string{bv.base}, key: bv.key}
	progressf(progress, "%s ready at %s; creating bins and recording responses", name, bv.base)
	setup, err := prepareScenarios(ctx, newAPIClient(bv.base, bv.key), cfg.scenarios)
	if err != nil {
		return t, bv.proc.describeExit(fmt.Errorf("preparing scenarios: %w", err))
	}
	out.setups = append(out.setups, storeSetup{name, setup})
	t.scenarios = setup.scenarios
	return t, nil
}

// startPostgresNodes starts cfg.nodes binvault processes on db, one after
// the other: node 1 finds the database empty, creates the admin and prints
// its key; the others join. The scenarios are prepared through node 1. The
// returned target holds every process started, also on error, so the
// caller can stop them.
func startPostgresNodes(ctx context.Context, cfg config, bin, tmp string, db *benchDatabase, out *outcome, progress io.Writer) (target, error) {
	t := target{name: "binvault-pg", kind: kindBinvault}
	var first *binvaultServer
	for i := 1; i <= cfg.nodes; i++ {
		name := "binvault-pg"
		if cfg.nodes > 1 {
			name = fmt.Sprintf("binvault-pg node %d", i)
		}
		progressf(progress, "starting %s (%s) on %s", name, bin, db.name)
		bv, err := startBinvault(ctx, bin, tmp, binvaultStart{
			name: name, logName: fmt.Sprintf("binvault-pg-%d.log", i), databaseURL: db.url, expectKey: i == 1,
		})
		if err != nil {
			return t, err
		}
		t.procs, t.bases = append(t.procs, bv.proc), append(t.bases, bv.base)
		if bv.unexpectedKey {
			out.nodeFindings = append(out.nodeFindings, fmt.Sprintf("%s printed an admin key although node 1 had already created the admin account", name))
		}
		if first == nil {
			first, t.key = bv, bv.key
		}
		progressf(progress, "%s ready at %s", name, bv.base)
	}
	progressf(progress, "creating bins and recording responses through %s", first.proc.name)
	setup, err := prepareScenarios(ctx, newAPIClient(first.base, first.key), cfg.scenarios)
	if err != nil {
		return t, first.proc.describeExit(fmt.Errorf("preparing scenarios: %w", err))
	}
	out.setups = append(out.setups, storeSetup{t.name, setup})
	t.scenarios = setup.scenarios
	return t, nil
}

// resolveBinary returns the binvault binary to run and a description of
// where it came from, building ./cmd/binvault unless -binary was given.
func resolveBinary(ctx context.Context, cfg config, tmp string, progress io.Writer) (string, string, error) {
	if cfg.binary != "" {
		abs, err := filepath.Abs(cfg.binary)
		if err != nil {
			return "", "", err
		}
		if _, err := os.Stat(abs); err != nil {
			return "", "", fmt.Errorf("-binary: %w", err)
		}
		return abs, "prebuilt `" + abs + "` (-binary)", nil
	}
	bin := filepath.Join(tmp, "binvault")
	progressf(progress, "building ./cmd/binvault")
	start := time.Now()
	if err := buildBinvault(ctx, bin); err != nil {
		return "", "", err
	}
	progressf(progress, "built in %v", time.Since(start).Round(100*time.Millisecond))
	return bin, "`go build ./cmd/binvault` from the working tree", nil
}

// selectScenarios keeps the prepared scenarios named in -scenarios, in
// canonical order.
func selectScenarios(all []scenario, names []string) []scenario {
	var out []scenario
	for _, n := range names {
		for _, s := range all {
			if s.name == n {
				out = append(out, s)
			}
		}
	}
	return out
}

// measureAll runs every scenario against every target, all targets of a
// scenario one after the other, so slow drifts of a shared machine hit
// them alike. Per-run failures are recorded in the measurement; only
// cancellation aborts the loop.
func measureAll(ctx context.Context, cfg config, wrkPath, tmp string, targets []target, progress io.Writer) ([]measurement, error) {
	var ms []measurement
	for _, name := range cfg.scenarios {
		for _, t := range targets {
			scs := selectScenarios(t.scenarios, []string{name})
			if len(scs) == 0 {
				continue
			}
			s := scs[0]
			script := filepath.Join(tmp, t.name+"."+s.name+".lua")
			if err := os.WriteFile(script, []byte(luaScript(s.name, s.method, s.paths, s.headers, s.body, scriptNodes(cfg, t))), 0o600); err != nil {
				return nil, err
			}
			m := measureOne(ctx, cfg, wrkPath, script, s, t, progress)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			ms = append(ms, m)
		}
	}
	return ms, nil
}

// scriptNodes is the node list the Lua script spreads threads over: the
// target's addresses when it has several and -spread is lua.
func scriptNodes(cfg config, t target) []string {
	if cfg.spread != spreadLua || len(t.bases) < 2 {
		return nil
	}
	nodes := make([]string, len(t.bases))
	for i, b := range t.bases {
		nodes[i] = strings.TrimPrefix(b, "http://")
	}
	return nodes
}

// wrkPlan is the wrk processes of one run against t, run concurrently.
// Every target of an invocation gets the same client: with -nodes > 1 a
// single-process target (bare, binvault-sqlite) gets the same threads and
// connections as the nodes together, aimed at its one address.
func wrkPlan(cfg config, wrkPath, script, path string, t target, d time.Duration) []wrkOptions {
	base := wrkOptions{path: wrkPath, threads: cfg.threads, connections: cfg.connections, duration: d, script: script, url: t.bases[0] + path}
	if cfg.nodes == 1 {
		return []wrkOptions{base}
	}
	if cfg.spread == spreadLua {
		base.threads = cfg.threads * cfg.nodes
		base.connections -= base.connections % base.threads // what wrk opens: c/t per thread
		base.nodes = scriptNodes(cfg, t)
		return []wrkOptions{base}
	}
	var plan []wrkOptions
	for i, c := range splitConnections(cfg.connections, cfg.nodes) {
		o := base
		o.connections = c
		o.url = t.bases[i%len(t.bases)] + path
		plan = append(plan, o)
	}
	return plan
}

// runPlan runs the wrk processes of a plan at the same time and combines
// their results.
func runPlan(ctx context.Context, plan []wrkOptions) (wrkResult, []wrkResult, error) {
	results := make([]wrkResult, len(plan))
	errs := make([]error, len(plan))
	var wg sync.WaitGroup
	for i, o := range plan {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _, errs[i] = runWrk(ctx, o)
		}()
	}
	wg.Wait()
	return combineWrk(results), results, errors.Join(errs...)
}

// measureOne runs the discarded warm-up then the measured wrk run. VmHWM is
// reset between the two so the peak RSS is that of the measured run.
func measureOne(ctx context.Context, cfg config, wrkPath, script string, s scenario, t target, progress io.Writer) measurement {
	m := measurement{scenario: s.name, target: t.name, kind: t.kind}
	for _, p := range t.procs {
		if !p.alive() {
			m.serverDied, m.err = true, fmt.Errorf("%s is not running", p.name)
			return m
		}
	}
	if cfg.warmup > 0 {
		progressf(progress, "%s/%s: warm-up %v", s.name, t.name, cfg.warmup)
		if _, _, err := runPlan(ctx, wrkPlan(cfg, wrkPath, script, s.paths[0], t, cfg.warmup)); err != nil {
			m.err = fmt.Errorf("warm-up: %w", err)
			return m
		}
	}
	for _, p := range t.procs {
		if resetPeakRSS(p.pid()) != nil {
			m.rssCumulative = true
		}
	}
	progressf(progress, "%s/%s: measuring %v", s.name, t.name, cfg.duration)
	cpuBefore := make([]float64, len(t.procs))
	for i, p := range t.procs {
		cpuBefore[i], _ = cpuSeconds(p.pid())
	}
	var parts []wrkResult
	m.result, parts, m.err = runPlan(ctx, wrkPlan(cfg, wrkPath, script, s.paths[0], t, cfg.duration))
	for i, p := range t.procs {
		peak, _ := peakRSSKiB(p.pid())
		m.peakRSSKiB = append(m.peakRSSKiB, peak)
		cpu, err := cpuSeconds(p.pid())
		if err != nil {
			cpu = -1
		} else {
			cpu -= cpuBefore[i]
		}
		m.cpuSeconds = append(m.cpuSeconds, cpu)
		if !p.alive() {
			m.serverDied = true
		}
	}
	if m.err != nil {
		progressf(progress, "%s/%s: %v", s.name, t.name, m.err)
		return m
	}
	progressf(progress, "%s/%s: %.0f req/s, p50 %v, p99 %v, non-2xx %d, socket errors %d",
		s.name, t.name, m.result.RequestsPerSec, m.result.P50, m.result.P99, m.result.Non2xx, m.result.Socket.Total())
	if len(parts) > 1 {
		var each []string
		for _, r := range parts {
			each = append(each, fmt.Sprintf("%.0f", r.RequestsPerSec))
		}
		progressf(progress, "%s/%s: req/s per wrk process: %s", s.name, t.name, strings.Join(each, " + "))
	}
	if len(t.procs) > 1 {
		progressf(progress, "%s/%s: CPU seconds per node: %s", s.name, t.name, cpuText(m.cpuSeconds))
	}
	return m
}

// scanServerLog returns a note if binvault's log shows a panic or race
// report, which a load test is often the first thing to trigger.
func scanServerLog(name, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, marker := range []string{"panic:", "WARNING: DATA RACE", "fatal error:"} {
		if i := strings.Index(string(data), marker); i >= 0 {
			end := min(len(data), i+300)
			return fmt.Sprintf("%s log contains %q: %.300q", name, marker, data[i:end])
		}
	}
	return ""
}
