package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The sse scenario measures the change feed's fan-out: -sse-subscribers
// clients hold GET /v3/b/<id>/events open on one bin while one writer PUTs
// to it at -sse-rate, for -duration. It runs against every binvault target
// (wrk cannot read event streams); the bench process itself is the client.
const sseScenario = "sse"

const (
	// sseConnectTimeout bounds how long all subscribers may take to get
	// their first event (the bin's current state).
	sseConnectTimeout = time.Minute
	// sseDrainTimeout bounds the wait, after the last write, for every
	// subscriber to receive it.
	sseDrainTimeout = 10 * time.Second
	// sseMaxWrites caps a back-to-back run (-sse-rate 0): receipt times are
	// kept per subscriber and write, 4 bytes each.
	sseMaxWrites = 10000
)

// sseResult is the outcome of the sse scenario on one target.
type sseResult struct {
	target      string
	subscribers int // asked for
	connected   int // got their first event
	writes      int // PUTs acknowledged
	elapsed     time.Duration
	delivered   int64 // events received, first state not counted
	dropped     int   // streams the server ended before the run did
	// Delivery latency over every (subscriber, write) pair received: from
	// the PUT's acknowledgement (negative when the event overtook the
	// response) and from the moment the PUT was sent.
	afterAck, afterSend latencySummary
	baseRSSKiB          int64   // server RSS before any subscriber
	subscribedRSSKiB    int64   // server RSS with every subscriber connected, before the writes
	peakRSSKiB          int64   // server VmHWM during the writes
	cpuSeconds          float64 // server CPU time during the writes
	clientCPUSeconds    float64 // the bench process's (every client's) CPU time during the writes
	err                 error
}

type latencySummary struct{ p50, p99, max time.Duration }

// measureSSEAll runs the sse scenario on every binvault target.
func measureSSEAll(ctx context.Context, cfg config, targets []target, progress io.Writer) []sseResult {
	var out []sseResult
	for _, t := range targets {
		if t.kind != kindBinvault {
			continue
		}
		progressf(progress, "%s/%s: %d subscribers, one writer at %s for %v", sseScenario, t.name, cfg.sseSubscribers, rateText(cfg.sseRate), cfg.duration)
		r := measureSSE(ctx, cfg, t.name, t.bases[0], t.key, t.procs[0].pid())
		if r.err != nil {
			progressf(progress, "%s/%s: %v", sseScenario, t.name, r.err)
		} else {
			progressf(progress, "%s/%s: %d writes, %d events delivered (%.0f/s), after ack p50 %v p99 %v max %v, %d dropped",
				sseScenario, t.name, r.writes, r.delivered, r.eventsPerSec(), r.afterAck.p50, r.afterAck.p99, r.afterAck.max, r.dropped)
		}
		out = append(out, r)
	}
	return out
}

func rateText(rate float64) string {
	if rate <= 0 {
		return "back-to-back PUTs"
	}
	return fmt.Sprintf("%g PUT/s", rate)
}

func (r sseResult) eventsPerSec() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.delivered) / r.elapsed.Seconds()
}

// measureSSE runs the scenario against the server at base, whose process
// is pid, with its admin key.
func measureSSE(ctx context.Context, cfg config, name, base, key string, pid int) sseResult {
	r := sseResult{target: name, subscribers: cfg.sseSubscribers}
	api := newAPIClient(base, key)
	id, err := createBin(ctx, api, jsonPayload(recordSize, 0), new([]string))
	if err != nil {
		r.err = err
		return r
	}
	first, err := api.call(ctx, http.MethodGet, "/v3/b/"+id, nil, nil)
	if err != nil {
		r.err = err
		return r
	}
	baseRev, err := strconv.ParseInt(strings.Trim(first.header.Get("ETag"), `"`), 10, 64)
	if err != nil {
		r.err = fmt.Errorf("GET /v3/b/<id>: ETag %q: %w", first.header.Get("ETag"), err)
		return r
	}
	r.baseRSSKiB, _ = currentRSSKiB(pid)

	maxWrites := sseMaxWrites
	if cfg.sseRate > 0 {
		maxWrites = min(maxWrites, int(cfg.sseRate*cfg.duration.Seconds()*1.2)+10)
	}
	run := newSSERun(base+"/v3/b/"+id+"/events", key, baseRev, maxWrites, cfg.sseSubscribers)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if r.connected, err = run.connect(sctx); err != nil {
		r.err = err
		return r
	}
	r.subscribedRSSKiB, _ = currentRSSKiB(pid)
	resetPeakRSS(pid)
	cpuBefore, _ := cpuSeconds(pid)
	clientBefore, _ := cpuSeconds(os.Getpid())

	start := time.Now()
	r.writes, err = run.write(sctx, api, id, cfg, maxWrites)
	run.drain(r.writes, sseDrainTimeout)
	cpuAfter, _ := cpuSeconds(pid)
	r.cpuSeconds = cpuAfter - cpuBefore
	clientAfter, _ := cpuSeconds(os.Getpid())
	r.clientCPUSeconds = clientAfter - clientBefore
	r.peakRSSKiB, _ = peakRSSKiB(pid)
	r.dropped = int(run.ended.Load())
	cancel()
	run.wg.Wait() // the receipt times are final from here on
	if err != nil {
		r.err = err
		return r
	}
	r.elapsed = run.lastReceipt(r.writes).Sub(start)
	r.delivered, r.afterAck, r.afterSend = run.latencies(r.writes)
	return r
}

// sseRun is one sse measurement: the subscribers' receipt times and the
// writer's send and acknowledgement times, all in µs since origin.
type sseRun struct {
	url, key string
	baseRev  int64
	origin   time.Time
	client   *http.Client

	sentAt, ackAt []int64
	recv          [][]int32 // per subscriber, per write; 0: not received
	progress      []atomic.Int64
	ended         atomic.Int64 // streams the server closed
	wg            sync.WaitGroup
}

func newSSERun(url, key string, baseRev int64, maxWrites, subscribers int) *sseRun {
	run := &sseRun{url: url, key: key, baseRev: baseRev, origin: time.Now(),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: subscribers + 1, DisableCompression: true}},
		sentAt: make([]int64, maxWrites), ackAt: make([]int64, maxWrites),
		recv: make([][]int32, subscribers), progress: make([]atomic.Int64, subscribers)}
	for i := range run.recv {
		run.recv[i] = make([]int32, maxWrites)
	}
	return run
}

func (run *sseRun) now() int64 { return time.Since(run.origin).Microseconds() }

// connect opens every subscription and waits for each one's first event.
func (run *sseRun) connect(ctx context.Context) (int, error) {
	var connected atomic.Int64
	errs := make(chan error, len(run.recv))
	for i := range run.recv {
		ready := make(chan struct{})
		run.wg.Go(func() {
			if err := run.subscribe(ctx, i, ready); err != nil && ctx.Err() == nil {
				errs <- err
			}
		})
		select {
		case <-ready:
			connected.Add(1)
		case err := <-errs:
			return int(connected.Load()), fmt.Errorf("subscriber %d: %w", i, err)
		case <-time.After(sseConnectTimeout):
			return int(connected.Load()), fmt.Errorf("subscriber %d got no first event within %v", i, sseConnectTimeout)
		}
	}
	return int(connected.Load()), nil
}

// subscribe reads one stream until ctx ends, recording when each write's
// event arrives; ready is closed on the first event.
func (run *sseRun) subscribe(ctx context.Context, i int, ready chan struct{}) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, run.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Master-Key", run.key)
	resp, err := run.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 4096), 1<<20)
	var rev int64
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) > 4 && string(line[:4]) == "id: ":
			rev, _ = strconv.ParseInt(string(line[4:]), 10, 64)
		case len(line) == 0 && rev != 0:
			if n := rev - run.baseRev - 1; n >= 0 && n < int64(len(run.recv[i])) {
				run.recv[i][n] = int32(max(run.now(), 1))
				run.progress[i].Store(n + 1)
			} else if n == -1 {
				close(ready) // the bin's state before the first write
			}
			rev = 0
		}
	}
	if ctx.Err() == nil {
		run.ended.Add(1)
	}
	return sc.Err()
}

// write PUTs to the bin at cfg.sseRate (0: back to back) for cfg.duration
// and returns how many writes were acknowledged.
func (run *sseRun) write(ctx context.Context, api apiClient, id string, cfg config, maxWrites int) (int, error) {
	var tick <-chan time.Time
	if cfg.sseRate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / cfg.sseRate))
		defer t.Stop()
		tick = t.C
	}
	deadline := time.Now().Add(cfg.duration)
	noVersioning := map[string]string{"X-Bin-Versioning": "false"}
	n := 0
	for ; n < maxWrites && time.Now().Before(deadline); n++ {
		if tick != nil {
			select {
			case <-tick:
			case <-ctx.Done():
				return n, ctx.Err()
			}
		}
		run.sentAt[n] = run.now()
		resp, err := api.call(ctx, http.MethodPut, "/v3/b/"+id, jsonPayload(recordSize, n+1), noVersioning)
		run.ackAt[n] = run.now()
		if err != nil {
			return n, err
		}
		if want := `"` + strconv.FormatInt(run.baseRev+int64(n)+1, 10) + `"`; resp.header.Get("ETag") != want {
			return n, fmt.Errorf("PUT %d: ETag %s, want %s: another writer?", n, resp.header.Get("ETag"), want)
		}
	}
	return n, nil
}

// drain waits until every live subscriber has the last write, or timeout.
func (run *sseRun) drain(writes int, timeout time.Duration) {
	stop := time.Now().Add(timeout)
	for time.Now().Before(stop) {
		done := true
		for i := range run.progress {
			if run.progress[i].Load() < int64(writes) {
				done = false
				break
			}
		}
		if done || run.ended.Load() == int64(len(run.recv)) {
			break
		}
		time.Sleep(5 * time.Millisecond) // a poll interval of the bench client, not a measurement
	}
}

// lastReceipt is when the last event of the run arrived.
func (run *sseRun) lastReceipt(writes int) time.Time {
	var last int32
	for _, r := range run.recv {
		for _, t := range r[:writes] {
			last = max(last, t)
		}
	}
	return run.origin.Add(time.Duration(last) * time.Microsecond)
}

// latencies counts the events received and summarises their delay.
func (run *sseRun) latencies(writes int) (int64, latencySummary, latencySummary) {
	afterAck := make([]int64, 0, len(run.recv)*writes)
	afterSend := make([]int64, 0, len(run.recv)*writes)
	for _, r := range run.recv {
		for n, t := range r[:writes] {
			if t != 0 {
				afterAck = append(afterAck, int64(t)-run.ackAt[n])
				afterSend = append(afterSend, int64(t)-run.sentAt[n])
			}
		}
	}
	return int64(len(afterAck)), summarise(afterAck), summarise(afterSend)
}

func summarise(us []int64) latencySummary {
	if len(us) == 0 {
		return latencySummary{}
	}
	slices.Sort(us)
	at := func(q float64) time.Duration {
		return time.Duration(us[min(len(us)-1, int(q*float64(len(us))))]) * time.Microsecond
	}
	return latencySummary{p50: at(0.50), p99: at(0.99), max: time.Duration(us[len(us)-1]) * time.Microsecond}
}

// currentRSSKiB reads VmRSS from /proc/<pid>/status.
func currentRSSKiB(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// writeSSE renders the sse results.
func writeSSE(b *strings.Builder, o outcome) {
	if len(o.sse) == 0 {
		return
	}
	c := o.cfg
	b.WriteString("## Change feed fan-out (sse)\n\n")
	fmt.Fprintf(b, "%d subscribers hold `GET /v3/b/<id>/events` open on one private bin (1 KiB record) while one writer sends `PUT /v3/b/<id>` (1 KiB, `X-Bin-Versioning: false`) at %s for %v. The bench process is every client, on the same machine. Latency is each subscriber's receipt of a write's event, over every (subscriber, write) pair, measured from the PUT's acknowledgement (negative: the event overtook the response) and from when the PUT was sent.\n\n",
		c.sseSubscribers, rateText(c.sseRate), c.duration)
	b.WriteString("| Target | Connected | Writes | Events delivered | Events/s | After ack p50 / p99 / max | After send p50 / p99 / max | Dropped | RSS idle → subscribed → peak | CPU server / clients |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range o.sse {
		if r.err != nil {
			fmt.Fprintf(b, "| %s **⚠️ ERRORS** | %d | %d | — | — | — | — | — | — | — |\n", r.target, r.connected, r.writes)
			continue
		}
		expected := int64(r.connected) * int64(r.writes)
		fmt.Fprintf(b, "| %s | %d / %d | %d | %d of %d | %.0f | %s | %s | %d | %s | %.1f / %.1f s |\n",
			r.target, r.connected, r.subscribers, r.writes, r.delivered, expected, r.eventsPerSec(),
			latencyText(r.afterAck), latencyText(r.afterSend), r.dropped, rssText(r), r.cpuSeconds, r.clientCPUSeconds)
	}
	b.WriteString("\n")
}

func latencyText(l latencySummary) string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
	return ms(l.p50) + " / " + ms(l.p99) + " / " + ms(l.max) + " ms"
}

func rssText(r sseResult) string {
	mib := func(kib int64) string { return fmt.Sprintf("%.1f", float64(kib)/1024) }
	per := ""
	if r.connected > 0 && r.subscribedRSSKiB > r.baseRSSKiB {
		per = fmt.Sprintf(" (%.0f KiB per subscriber)", float64(r.subscribedRSSKiB-r.baseRSSKiB)/float64(r.connected))
	}
	return mib(r.baseRSSKiB) + " → " + mib(r.subscribedRSSKiB) + " → " + mib(r.peakRSSKiB) + " MiB" + per
}
