package metrics

import (
	"context"
	"reflect"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/postgres"
	"github.com/binvault/binvault/sqlite"
	"github.com/binvault/binvault/storetest"
)

// untimed are the Store methods passed through without a timing.
var untimed = map[string]bool{"AuthVersion": true, "Close": true}

// TestInstrumentStoreConformance: the timed SQLite store passes the whole
// store suite, so the wrapper forwards every argument and result.
func TestInstrumentStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) binvault.Store {
		s, err := sqlite.Open(t.Context(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return New().InstrumentStore(s)
	})
}

// TestInstrumentStoreTimesEveryMethod calls every method of the Store
// interface and of the optional interfaces the wrapper keeps, over a store
// that panics on any call, and checks that each one's timing lands under
// its own name, panicking or not.
func TestInstrumentStoreTimesEveryMethod(t *testing.T) {
	m := New()
	wrapped := reflect.ValueOf(m.InstrumentStore(panicStore{}))
	timed := 0
	for _, iface := range []reflect.Type{reflect.TypeFor[binvault.Store](), reflect.TypeFor[binvault.SharedBinStore]()} {
		for i := range iface.NumMethod() {
			name := iface.Method(i).Name
			if untimed[name] {
				continue
			}
			fn := wrapped.MethodByName(name)
			if !fn.IsValid() {
				t.Errorf("the wrapper has no %s", name)
				continue
			}
			call(t, fn)
			timed++
			if n := sampleCount(t, m, name); n != 1 {
				t.Errorf("%s: %d timings under op=%q, want 1", name, n, name)
			}
			if total := totalSamples(t, m); total != uint64(timed) {
				t.Fatalf("after %s: %d timings in all, want %d (a method timed under another name?)", name, total, timed)
			}
		}
	}
	if timed != int(numOps) {
		t.Errorf("the interfaces have %d timed methods; opNames has %d", timed, numOps)
	}
}

// TestInstrumentStoreKeepsOptionalMethods: every exported method of a
// concrete store (such as binvault.SharedBinStore on PostgreSQL, which the
// Vault looks for with a type assertion) is on its wrapper too, and a store
// without it does not gain it.
func TestInstrumentStoreKeepsOptionalMethods(t *testing.T) {
	m := New()
	for _, s := range []binvault.Store{&sqlite.Store{}, &postgres.Store{}} {
		wrapped := reflect.TypeOf(m.InstrumentStore(s))
		concrete := reflect.TypeOf(s)
		for i := range concrete.NumMethod() {
			if name := concrete.Method(i).Name; !hasMethod(wrapped, name) {
				t.Errorf("%s.%s is lost by InstrumentStore", concrete, name)
			}
		}
		_, shared := s.(binvault.SharedBinStore)
		if _, ok := m.InstrumentStore(s).(binvault.SharedBinStore); ok != shared {
			t.Errorf("%s: wrapper is a SharedBinStore: %v; the store: %v", concrete, ok, shared)
		}
	}
}

func hasMethod(t reflect.Type, name string) bool {
	_, ok := t.MethodByName(name)
	return ok
}

// call calls fn with zero arguments (a background context first) and
// swallows the panic of the store behind it.
func call(t *testing.T, fn reflect.Value) {
	t.Helper()
	args := make([]reflect.Value, fn.Type().NumIn())
	for i := range args {
		args[i] = reflect.Zero(fn.Type().In(i))
	}
	args[0] = reflect.ValueOf(context.Background())
	defer func() { _ = recover() }()
	fn.Call(args)
}

// panicStore panics on every call: what it embeds is nil.
type panicStore struct {
	binvault.Store
	binvault.SharedBinStore
}

func storeOpsHistograms(t *testing.T, m *Metrics) []*dto.Metric {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "binvault_store_operation_duration_seconds" {
			return f.GetMetric()
		}
	}
	return nil
}

func sampleCount(t *testing.T, m *Metrics, op string) uint64 {
	t.Helper()
	for _, h := range storeOpsHistograms(t, m) {
		if h.GetLabel()[0].GetValue() == op {
			return h.GetHistogram().GetSampleCount()
		}
	}
	return 0
}

func totalSamples(t *testing.T, m *Metrics) uint64 {
	t.Helper()
	var n uint64
	for _, h := range storeOpsHistograms(t, m) {
		n += h.GetHistogram().GetSampleCount()
	}
	return n
}
