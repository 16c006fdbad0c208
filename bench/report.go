package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// machineInfo describes where the numbers were produced; benchmark numbers
// without it cannot be compared across runs.
type machineInfo struct {
	nproc, cpuModel, goVersion, kernel, wrkVersion string
}

// probeMachine collects machine facts; each falls back to a best effort
// value because a missing fact should not abort a benchmark.
func probeMachine(ctx context.Context, wrkPath string) machineInfo {
	return machineInfo{
		nproc:      firstLine(commandOutput(ctx, "nproc"), fmt.Sprint(runtime.NumCPU())),
		cpuModel:   cpuModel(),
		goVersion:  firstLine(commandOutput(ctx, "go", "version"), runtime.Version()+" (bench binary)"),
		kernel:     kernelVersion(),
		wrkVersion: firstLine(commandOutput(ctx, wrkPath, "-v"), "unknown"),
	}
}

// commandOutput runs a short command and returns its combined output, even
// if it exits non-zero (wrk -v does).
func commandOutput(ctx context.Context, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out)
}

func firstLine(s, fallback string) string {
	line, _, _ := strings.Cut(s, "\n")
	if line = strings.TrimSpace(line); line == "" {
		return fallback
	}
	return line
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func kernelVersion() string {
	typ, _ := os.ReadFile("/proc/sys/kernel/ostype")
	rel, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return runtime.GOOS
	}
	return fmt.Sprintf("%s %s (%s)", strings.TrimSpace(string(typ)), strings.TrimSpace(string(rel)), runtime.GOARCH)
}

// renderReport produces the Markdown report.
func renderReport(o outcome) string {
	var b strings.Builder
	b.WriteString("# binvault load test\n\n")
	fmt.Fprintf(&b, "Command: `%s`\n\n", o.cfg.commandLine)
	writeMachine(&b, o)
	writeWarnings(&b, o)
	if len(o.measurements) > 0 { // not with -scenarios sse alone
		writeResults(&b, o)
	}
	writeSSE(&b, o) // says its own method
	if len(o.measurements) > 0 {
		writeMethod(&b, o)
	}
	writeFindings(&b, o)
	return b.String()
}

func writeMachine(b *strings.Builder, o outcome) {
	m := o.machine
	b.WriteString("## Machine\n\n| | |\n|---|---|\n")
	fmt.Fprintf(b, "| nproc | %s |\n| CPU | %s |\n| Go | %s |\n| Kernel | %s |\n| wrk | %s |\n",
		m.nproc, m.cpuModel, m.goVersion, m.kernel, m.wrkVersion)
	if o.db != nil {
		fmt.Fprintf(b, "| PostgreSQL | %s, same machine |\n", o.db.server)
	}
	fmt.Fprintf(b, "| Date | %s |\n\n", time.Now().UTC().Format(time.RFC3339))
}

// writeWarnings puts every problem at the top, so a run with errors can
// not be mistaken for a clean one by someone reading only the table.
func writeWarnings(b *strings.Builder, o outcome) {
	var lines []string
	for _, m := range o.measurements {
		if m.flagged() {
			lines = append(lines, fmt.Sprintf("%s / %s: %s", m.scenario, m.target, problemText(m)))
		}
	}
	for _, s := range o.stops {
		if s.err == nil {
			continue
		}
		name := s.name
		if s.kind == kindBare {
			name = "bare server"
		}
		lines = append(lines, name+" did not exit 0 after SIGTERM: "+s.err.Error())
	}
	lines = append(lines, o.logNotes...)
	lines = append(lines, o.nodeFindings...)
	if o.dbDropErr != nil {
		lines = append(lines, fmt.Sprintf("the run's database %s could not be dropped; drop it by hand: %v", o.db.name, o.dbDropErr))
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("> [!WARNING]\n> **⚠️ ERRORS — the affected numbers below are NOT valid measurements.**\n>\n")
	for _, l := range lines {
		fmt.Fprintf(b, "> - %s\n", l)
	}
	b.WriteString("\n")
}

// problemText summarises why a measurement is flagged.
func problemText(m measurement) string {
	var p []string
	if m.err != nil {
		p = append(p, "run failed: "+m.err.Error())
	}
	if m.serverDied {
		p = append(p, "server process was not running after the run")
	}
	if m.result.Non2xx > 0 {
		p = append(p, fmt.Sprintf("%d of %d responses had status >= 400", m.result.Non2xx, m.result.Requests))
	}
	if m.result.Socket.Total() > 0 {
		p = append(p, "socket errors: "+socketText(m.result.Socket))
	}
	return strings.Join(p, "; ")
}

func socketText(s socketErrors) string {
	if s.Total() == 0 {
		return "0"
	}
	return fmt.Sprintf("connect %d, read %d, write %d, timeout %d", s.Connect, s.Read, s.Write, s.Timeout)
}

func writeResults(b *strings.Builder, o outcome) {
	b.WriteString("## Results\n\n")
	b.WriteString("| Scenario | Target | Requests/s | p50 | p99 | Requests | Non-2xx | Socket errors | Peak RSS | binvault/bare req/s |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|---|--:|--:|\n")
	for _, m := range o.measurements {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %d | %d | %s | %s | %s |\n",
			m.scenario, targetCell(o, m), rpsCell(m), latencyCell(m, m.result.P50), latencyCell(m, m.result.P99),
			m.result.Requests, m.result.Non2xx, socketText(m.result.Socket), rssCell(m), ratioCell(o.measurements, m))
	}
	b.WriteString("\n")
	if lines := nodeLoadLines(o.measurements); len(lines) > 0 {
		b.WriteString("Load per binvault-pg node (CPU seconds each node's process used during the measured run, node 1 first):\n\n")
		for _, l := range lines {
			fmt.Fprintf(b, "- %s\n", l)
		}
		b.WriteString("\n")
	}
	if lines := storeRatioLines(o.measurements, "binvault-pg", "binvault-sqlite"); len(lines) > 0 {
		b.WriteString("PostgreSQL vs the embedded SQLite store (binvault-pg req/s ÷ binvault-sqlite req/s; 1.0 = as fast as SQLite):\n\n")
		for _, l := range lines {
			fmt.Fprintf(b, "- %s\n", l)
		}
		b.WriteString("\n")
	}
	var lines []string
	for _, s := range o.setups {
		for _, l := range schemaRatioLines(o.measurements, s.target) {
			if len(o.setups) > 1 {
				l = s.target + " " + l
			}
			lines = append(lines, l)
		}
	}
	if len(lines) > 0 {
		b.WriteString("Schema validation cost (binvault only; 1.0 = validation is free):\n\n")
		for _, l := range lines {
			fmt.Fprintf(b, "- %s\n", l)
		}
		b.WriteString("\n")
	}
}

// schemaRatioLines gives one line per schema pair measured in full on
// target: its req/s into the collection with the schema doc divided by
// that into the collection without.
func schemaRatioLines(ms []measurement, target string) []string {
	var lines []string
	for _, p := range schemaPairs() {
		with, okWith := findMeasurement(ms, p.schema, target)
		without, okWithout := findMeasurement(ms, p.plain, target)
		if !okWith || !okWithout {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s: schema/no-schema req/s = %s (%s %s ÷ %s %s)",
			p.op, divide(with, without), p.schema, rpsCell(with), p.plain, rpsCell(without)))
	}
	return lines
}

// nodeLoadLines gives, per measurement of a multi-process target, the CPU
// time each process used.
func nodeLoadLines(ms []measurement) []string {
	var lines []string
	for _, m := range ms {
		if len(m.cpuSeconds) > 1 {
			lines = append(lines, fmt.Sprintf("%s: %s", m.scenario, cpuText(m.cpuSeconds)))
		}
	}
	return lines
}

// cpuText formats per-process CPU seconds as "4.1 + 3.9 s".
func cpuText(secs []float64) string {
	var parts []string
	for _, s := range secs {
		if s < 0 {
			parts = append(parts, "—")
		} else {
			parts = append(parts, fmt.Sprintf("%.1f", s))
		}
	}
	return strings.Join(parts, " + ") + " s"
}

// storeRatioLines gives one line per scenario measured on both targets:
// num's req/s divided by den's.
func storeRatioLines(ms []measurement, num, den string) []string {
	var lines []string
	for _, m := range ms {
		if m.target != num {
			continue
		}
		d, ok := findMeasurement(ms, m.scenario, den)
		if !ok {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s: %s (%s %s ÷ %s %s)", m.scenario, divide(m, d), num, rpsCell(m), den, rpsCell(d)))
	}
	return lines
}

// divide is a's req/s over b's to three places, "—" when either run
// failed, marked when either is flagged.
func divide(a, b measurement) string {
	ratio := "—"
	if a.err == nil && b.err == nil && b.result.RequestsPerSec > 0 {
		ratio = fmt.Sprintf("%.3f", a.result.RequestsPerSec/b.result.RequestsPerSec)
	}
	if a.flagged() || b.flagged() {
		ratio += " ⚠️"
	}
	return ratio
}

// findMeasurement returns the run of scenario against target, if any.
func findMeasurement(ms []measurement, scenario, target string) (measurement, bool) {
	for _, m := range ms {
		if m.scenario == scenario && m.target == target {
			return m, true
		}
	}
	return measurement{}, false
}

func targetCell(o outcome, m measurement) string {
	name := m.target
	if m.target == "binvault-pg" && o.cfg.nodes > 1 {
		name = fmt.Sprintf("binvault-pg (%d nodes)", o.cfg.nodes)
	}
	if m.flagged() {
		return name + " **⚠️ ERRORS**"
	}
	return name
}

func rpsCell(m measurement) string {
	if m.err != nil {
		return "failed"
	}
	return fmt.Sprintf("%.0f", m.result.RequestsPerSec)
}

func latencyCell(m measurement, d time.Duration) string {
	if m.err != nil {
		return "—"
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// rssCell is the peak RSS of the target's process, or of each node in
// node order ("41.0 + 40.3 MiB").
func rssCell(m measurement) string {
	var parts []string
	for _, kib := range m.peakRSSKiB {
		if kib == 0 {
			parts = append(parts, "—")
		} else {
			parts = append(parts, fmt.Sprintf("%.1f", float64(kib)/1024))
		}
	}
	if len(parts) == 0 || !slices.ContainsFunc(m.peakRSSKiB, func(k int64) bool { return k > 0 }) {
		return "—"
	}
	s := strings.Join(parts, " + ") + " MiB"
	if m.rssCumulative {
		s += " (since start)"
	}
	return s
}

// ratioCell is shown on the binvault row of each scenario.
func ratioCell(ms []measurement, m measurement) string {
	if m.kind != kindBinvault {
		return ""
	}
	bare, ok := findMeasurement(ms, m.scenario, "bare")
	if !ok || m.err != nil || bare.err != nil || bare.result.RequestsPerSec == 0 {
		return "—"
	}
	s := fmt.Sprintf("%.3f", m.result.RequestsPerSec/bare.result.RequestsPerSec)
	if m.flagged() || bare.flagged() {
		s += " ⚠️"
	}
	return s
}

func writeMethod(b *strings.Builder, o outcome) {
	c := o.cfg
	b.WriteString("## Method\n\n")
	writeClient(b, o)
	if o.db == nil {
		fmt.Fprintf(b, "- binvault: %s, started with a fresh empty `--data` dir; bins created through the API with the printed admin key.\n", o.binarySource)
	} else {
		writeStores(b, o)
	}
	replays := "binvault"
	if o.db != nil {
		replays = "binvault-pg"
	}
	fmt.Fprintf(b, "- bare: the bench binary re-executed as a separate process serving a plain `http.HandlerFunc` that reads the request body fully and writes the exact body and headers (minus Date and Content-Length, which net/http sets) %s returned for one real request of the same scenario, picked by method, path and `X-Collection-Id` (one map lookup; each scenario has its own bin ids, and the creates differ in `X-Collection-Id`).\n", replays)
	scs := selectScenarios(o.primarySetup().scenarios, c.scenarios)
	for _, s := range scs {
		fmt.Fprintf(b, "- `%s`: %s. Recorded response: %d bytes, `%s`.\n", s.name, s.detail, len(s.recorded.Body), s.recorded.ContentType)
	}
	if slices.ContainsFunc(scs, func(s scenario) bool { return isCollectionScenario(s.name) }) {
		fmt.Fprintf(b, "- Collection scenarios: set up through the API with the admin key: `POST /v3/s` (`X-Schema-Doc-Name: User`, a %d-byte draft-07 schema: 8 properties, 6 required, a closed nested `address` object with a zip pattern, a string array with `uniqueItems`, bounded integers, a `status` enum, a `username` pattern, `bio` up to 2000 characters, `additionalProperties: false`), `POST /v3/c` for `bench-plain` and `bench-schema`, `PUT /v3/c/<id>/schemadoc/add` on `bench-schema`. Both collections get the same request bodies, each a user record that matches the schema, padded with `bio` to %d bytes.\n",
			len(userSchema), recordSize)
		b.WriteString("- schema/no-schema req/s divides binvault's requests/s in `bench-schema` by those in `bench-plain` for the same operation. Creates run after updates, and `create-schema` after `create-coll`, so it inserts into a table that already holds the bins `create-coll` made.\n")
	}
	b.WriteString("- Requests/s, p50, p99 and errors are parsed from wrk's output. Non-2xx is wrk's count of responses with status >= 400.\n")
	b.WriteString("- Peak RSS is VmHWM from `/proc/<pid>/status` read right after the measured run; VmHWM is reset (`/proc/<pid>/clear_refs` = 5) after the warm-up, so it is the peak of that run (it starts from the RSS already held). \"(since start)\" marks values where the reset failed.")
	if c.nodes > 1 {
		b.WriteString(" For the binvault-pg nodes the cell lists each node's peak, node 1 first.")
	}
	if o.db != nil {
		b.WriteString(" PostgreSQL's own processes are not counted.")
	}
	b.WriteString("\n")
	b.WriteString("- The binvault/bare ratio is binvault requests/s divided by bare requests/s for the same scenario (1.0 = as fast as the bare handler).\n")
	if c.compareSQLite {
		b.WriteString("- PostgreSQL/SQLite divides binvault-pg's requests/s by binvault-sqlite's for the same scenario, measured in the same invocation with the same wrk client and the same binary.\n")
	}
	b.WriteString("\n")
}

// writeClient describes the wrk client; every target of the run got the
// same one.
func writeClient(b *strings.Builder, o outcome) {
	c := o.cfg
	running := "Both servers run throughout; only the one being measured gets traffic."
	if o.db != nil {
		running = "All servers run throughout; only the target being measured gets traffic."
	}
	if c.nodes == 1 {
		fmt.Fprintf(b, "- wrk with `-t %d -c %d --latency`: a %v warm-up run (discarded) then a %v measured run, per scenario and target, all on 127.0.0.1. %s\n",
			c.threads, c.connections, c.warmup, c.duration, running)
		return
	}
	plan := wrkPlan(c, "wrk", "", "", target{bases: []string{"x"}}, c.duration)
	if c.spread == spreadLua {
		p := plan[0]
		fmt.Fprintf(b, "- One wrk with `-t %d -c %d --latency` (`-threads %d` × %d nodes) and `-spread lua`: the script's `setup()` sets `thread.addr` of wrk thread i to node ((i-1) mod %d)+1, so each binvault-pg node gets %d thread(s) and %d connections of their own; the requests themselves (including `Host`) are identical whatever node they go to.",
			p.threads, p.connections, c.threads, c.nodes, c.nodes, c.threads, p.connections/c.nodes)
		if p.connections != c.connections {
			fmt.Fprintf(b, " (%d connections, not %d: wrk opens connections ÷ threads per thread.)", p.connections, c.connections)
		}
	} else {
		var cs []string
		for _, p := range plan {
			cs = append(cs, fmt.Sprint(p.connections))
		}
		fmt.Fprintf(b, "- %d wrk processes run concurrently (`-spread procs`), one per binvault-pg node, each `-t %d --latency` with `-c` %s (%d connections in all). Requests and requests/s are the sums of the processes; p50 and p99 are the highest of the processes' values (percentiles of the union cannot be rebuilt from them).",
			len(plan), c.threads, strings.Join(cs, ", "), c.connections)
	}
	single := "bare"
	if c.compareSQLite {
		single = "bare, binvault-sqlite"
	}
	fmt.Fprintf(b, " Single-process targets (%s) get the same client aimed at their one address, so every row had the same load generator. A %v warm-up run (discarded) then a %v measured run per scenario and target, all on 127.0.0.1. %s\n",
		single, c.warmup, c.duration, running)
	fmt.Fprintf(b, "- %s\n", spreadNote)
}

// writeStores describes the PostgreSQL nodes and, with -compare-sqlite,
// the embedded store they are compared with.
func writeStores(b *strings.Builder, o outcome) {
	c := o.cfg
	how := "`-database-url " + redactedURL(c.databaseURL) + "`"
	if c.pgShortcut {
		how = "`-pg`, i.e. `-database-url " + pgShortcutURL + "`"
	}
	procs := "one process"
	if c.nodes > 1 {
		procs = fmt.Sprintf("%d processes (nodes), each on its own port,", c.nodes)
	}
	fmt.Fprintf(b, "- binvault-pg: %s, %s `binvault serve --addr 127.0.0.1:<port>` with `BINVAULT_DATABASE_URL` set to a fresh database `%s` on the server of %s. The bench created it with `psql -d <that URL> -c 'CREATE DATABASE \"%s\"'` before starting binvault and dropped it with `DROP DATABASE … WITH (FORCE)` after stopping it. binvault applied its migrations on start; node 1 created the admin account and printed its key, and all bins were created through node 1's API with it. On PostgreSQL binvault's bin cache is off, so every read goes to the database.\n",
		o.binarySource, procs, o.db.name, how, o.db.name)
	if c.compareSQLite {
		b.WriteString("- binvault-sqlite: the same binary, one process started with a fresh empty `--data` dir (the embedded store), set up through its own API in the same way.\n")
	}
}

func writeFindings(b *strings.Builder, o outcome) {
	b.WriteString("## Server checks\n\n")
	for _, s := range o.stops {
		if s.kind != kindBinvault {
			continue
		}
		exit := "exited 0 after SIGTERM"
		if s.err != nil {
			exit = s.err.Error()
		}
		fmt.Fprintf(b, "- %s shutdown: %s.\n", s.name, exit)
	}
	if o.db != nil {
		if o.dbDropErr != nil {
			fmt.Fprintf(b, "- Database `%s`: NOT dropped: %v.\n", o.db.name, o.dbDropErr)
		} else {
			fmt.Fprintf(b, "- Database `%s`: created for this run and dropped after it.\n", o.db.name)
		}
	}
	if o.cfg.nodes > 1 && len(o.nodeFindings) == 0 {
		others := "Node 2"
		if o.cfg.nodes > 2 {
			others = fmt.Sprintf("Nodes 2–%d", o.cfg.nodes)
		}
		fmt.Fprintf(b, "- %s started on the database node 1 had bootstrapped and printed no admin key (the admin account was created once).\n", others)
	}
	for _, f := range o.nodeFindings {
		fmt.Fprintf(b, "- %s\n", f)
	}
	for _, s := range o.setups {
		prefix := ""
		if len(o.setups) > 1 {
			prefix = s.target + ": "
		}
		for _, f := range s.setup.findings {
			fmt.Fprintf(b, "- %s%s\n", prefix, f)
		}
		if len(s.setup.findings) == 0 {
			fmt.Fprintf(b, "- %sSetup responses matched the expected v3 shape (24-hex ids, private by default, PUT parentId, collectionId of bins created in a collection).\n", prefix)
		}
		for _, c := range s.setup.checks {
			fmt.Fprintf(b, "- %s%s\n", prefix, c)
		}
	}
	for _, t := range o.logTails {
		fmt.Fprintf(b, "\nLast lines of %s's stdout/stderr (kept because problems were flagged):\n\n```\n%s\n```\n", t.name, t.text)
	}
	b.WriteString("\n")
}
