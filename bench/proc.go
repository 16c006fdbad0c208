package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a server gets to drain after SIGTERM before it is
// killed. It exceeds binvault's own 30s drain budget so a slow but correct
// shutdown is not misreported as a hang.
const stopGrace = 40 * time.Second

// proc is a server subprocess (binvault or the bare handler). Its exit is
// observed by one goroutine so stop and liveness checks never race on Wait.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string // combined stdout+stderr of the child
	exited  chan struct{}
	waitErr error // valid once exited is closed

	stopOnce sync.Once
	stopErr  error
}

// startProc starts cmd in its own process group, so a Ctrl-C in the
// terminal reaches only the bench, which then stops the child cleanly.
// closers are closed after the child exits (e.g. its log file).
func startProc(name string, cmd *exec.Cmd, logPath string, closers ...io.Closer) (*proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		closeAll(closers)
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		closeAll(closers)
		close(p.exited)
	}()
	return p, nil
}

func closeAll(cs []io.Closer) {
	for _, c := range cs {
		c.Close()
	}
}

// pid returns the child's process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// alive reports whether the child is still running.
func (p *proc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits for a clean exit, killing the child after
// stopGrace. It is idempotent so it can be both deferred and called
// explicitly (to get the exit status into the report). A nil result means
// the server exited 0 after SIGTERM, as the contract requires.
func (p *proc) stop() error {
	p.stopOnce.Do(func() { p.stopErr = p.terminate() })
	return p.stopErr
}

func (p *proc) terminate() error {
	if !p.alive() {
		return fmt.Errorf("%s had already exited before SIGTERM: %v", p.name, p.waitErr)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM %s: %w", p.name, err)
	}
	select {
	case <-p.exited:
		if p.waitErr != nil {
			return fmt.Errorf("%s after SIGTERM: %v", p.name, p.waitErr)
		}
		return nil
	case <-time.After(stopGrace):
		p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not exit within %v of SIGTERM; killed", p.name, stopGrace)
	}
}

// describeExit wraps err with the tail of the child's log, which is usually
// the only clue to why a server failed to start.
func (p *proc) describeExit(err error) error {
	return fmt.Errorf("%w\n--- last lines of %s output ---\n%s", err, p.name, tailFile(p.logPath, 20))
}

// tailFile returns the last n lines of a file, or a note if unreadable.
func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitHTTP polls url until it answers 200, the child exits or timeout
// passes. Polling is needed because neither server signals readiness.
func waitHTTP(ctx context.Context, p *proc, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return p.describeExit(fmt.Errorf("%s exited while waiting for %s: %v", p.name, url, p.waitErr))
		case <-ctx.Done():
			return p.describeExit(fmt.Errorf("%s not ready at %s within %v", p.name, url, timeout))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// freeLoopbackAddr picks a free TCP port on 127.0.0.1. The port is released
// before the server binds it; the race is harmless on a test machine.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// peakRSSKiB reads VmHWM (peak resident set size) of pid in KiB.
func peakRSSKiB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "VmHWM:" {
			return strconv.ParseInt(fields[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// resetPeakRSS resets VmHWM to the current RSS (Linux >= 4.0), so the value
// read after a run is that run's peak rather than the lifetime peak.
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// clockTicksPerSec is USER_HZ, the unit of utime and stime in
// /proc/<pid>/stat; it is 100 on every Linux architecture Go supports.
const clockTicksPerSec = 100

// cpuSeconds returns the user+system CPU time pid has used so far.
func cpuSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcStatCPU(string(data))
}

// parseProcStatCPU extracts utime+stime (fields 14 and 15) from a
// /proc/<pid>/stat line. The command name (field 2) is in parentheses and
// may itself contain spaces and parentheses, so fields are counted from
// the last ')'.
func parseProcStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc stat line %.80q", stat)
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc stat line %.80q", stat)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed utime/stime in /proc stat line %.80q", stat)
	}
	return float64(utime+stime) / clockTicksPerSec, nil
}
