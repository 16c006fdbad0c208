package binvault

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

const (
	// recordBatch is the most entries one store write takes.
	recordBatch = 2000
	// recordEvery is the longest an entry waits to be written.
	recordEvery = 250 * time.Millisecond
)

// recorder writes the activity log in the background: a request hands its
// entry over a buffered channel and goes on; a single goroutine writes
// batches. If the store falls behind and the buffer fills, requests wait
// rather than entries being dropped. close writes everything queued.
type recorder struct {
	store ActivityStore
	log   *slog.Logger
	ch    chan Activity
	done  chan struct{}

	mu     sync.RWMutex // close waits for senders in flight
	closed bool
}

func newRecorder(store ActivityStore, log *slog.Logger) *recorder {
	r := &recorder{store: store, log: log, ch: make(chan Activity, 64<<10), done: make(chan struct{})}
	go r.loop()
	return r
}

// Record queues an activity entry. Entries recorded after Close are
// dropped, since nothing would write them.
func (v *Vault) Record(a Activity) {
	r := v.activity
	r.mu.RLock()
	defer r.mu.RUnlock()
	if !r.closed {
		r.ch <- a
	}
}

func (r *recorder) loop() {
	defer close(r.done)
	batch := make([]Activity, 0, recordBatch)
	tick := time.NewTicker(recordEvery)
	defer tick.Stop()
	for {
		select {
		case a, ok := <-r.ch:
			if !ok {
				r.write(batch)
				return
			}
			if batch = append(batch, a); len(batch) >= recordBatch {
				batch = r.write(batch)
			}
		case <-tick.C:
			batch = r.write(batch)
		}
	}
}

// write stores a batch, retrying a few times: the log is not worth
// stalling the server for, but a passing busy store should not lose it.
func (r *recorder) write(batch []Activity) []Activity {
	if len(batch) == 0 {
		return batch
	}
	var err error
	for attempt := range 3 {
		if err = r.store.AddActivity(context.Background(), batch); err == nil {
			return batch[:0]
		}
		time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
	}
	r.log.Error("activity log: dropped a batch", "entries", len(batch), "error", err)
	return batch[:0]
}

func (r *recorder) close() error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.ch)
	}
	r.mu.Unlock()
	<-r.done
	return nil
}
