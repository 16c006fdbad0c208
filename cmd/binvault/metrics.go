package main

import (
	"flag"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/httpapi"
	"github.com/binvault/binvault/metrics"
)

// metricsFlags turn on Prometheus metrics at GET /metrics on the main
// listener. They are off by default: the endpoint tells anyone who can
// reach it about traffic and routes, so an operator opts in, and should
// set a token unless only the scraper can reach the listener.
type metricsFlags struct {
	on     bool
	token  string
	envErr error // BINVAULT_METRICS set to something that is not a boolean

	m *metrics.Metrics // nil while off
}

func (f *metricsFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	def := false
	if v := getenv("BINVAULT_METRICS"); v != "" {
		var err error
		if def, err = strconv.ParseBool(v); err != nil {
			f.envErr = fmt.Errorf("BINVAULT_METRICS: %q is not true or false", v)
		}
	}
	fs.BoolVar(&f.on, "metrics", def, "serve Prometheus metrics at GET /metrics (env BINVAULT_METRICS)")
	fs.StringVar(&f.token, "metrics-token", getenv("BINVAULT_METRICS_TOKEN"), "bearer token that GET /metrics requires (env BINVAULT_METRICS_TOKEN; empty: none)")
}

// setup checks the flags once parsed and, when metrics are on, creates
// them and has sf time the store it opens.
func (f *metricsFlags) setup(sf *storeFlags, log *slog.Logger) error {
	if f.envErr != nil {
		return f.envErr
	}
	if !f.on {
		if f.token != "" {
			log.Warn("a metrics token is set but metrics are off; set --metrics (BINVAULT_METRICS=true) to serve them")
		}
		return nil
	}
	f.m = metrics.New()
	sf.wrap = f.m.InstrumentStore
	log.Info("metrics at GET /metrics", "token", f.token != "")
	return nil
}

// config adds the metrics endpoint and the request observer to cfg, and
// has the metrics read vault's caches and queue, when metrics are on.
func (f *metricsFlags) config(cfg httpapi.Config, vault *binvault.Vault, log *slog.Logger) httpapi.Config {
	if f.m == nil {
		return cfg
	}
	f.m.WatchVault(vault)
	cfg.Metrics, cfg.MetricsToken, cfg.Observer = f.m.Handler(log), f.token, f.m
	return cfg
}
