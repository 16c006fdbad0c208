package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/binvault/binvault"
)

// WatchVault registers a collector that reads v.Stats at every scrape:
// binvault_cache_hits_total and binvault_cache_misses_total by cache,
// binvault_bin_cache_bytes, binvault_activity_queue_depth,
// binvault_activity_queue_capacity and binvault_live_nodes. The request
// path pays only for the counters the Vault keeps anyway.
func (m *Metrics) WatchVault(v *binvault.Vault) {
	m.reg.MustRegister(&vaultCollector{vault: v})
}

var (
	cacheHitsDesc = prometheus.NewDesc("binvault_cache_hits_total",
		"Lookups answered from an in-memory cache: bin (newest records), key (API and access keys), account, collection, schema.",
		[]string{"cache"}, nil)
	cacheMissesDesc = prometheus.NewDesc("binvault_cache_misses_total",
		"Lookups an in-memory cache could not answer, which went to the store.",
		[]string{"cache"}, nil)
	binCacheBytesDesc = prometheus.NewDesc("binvault_bin_cache_bytes",
		"Bytes of bin records (and per-entry overhead) held by the bin cache.", nil, nil)
	queueDepthDesc = prometheus.NewDesc("binvault_activity_queue_depth",
		"Activity-log entries waiting to be written to the store.", nil, nil)
	queueCapacityDesc = prometheus.NewDesc("binvault_activity_queue_capacity",
		"Activity-log entries that may wait before requests wait for the store.", nil, nil)
	liveNodesDesc = prometheus.NewDesc("binvault_live_nodes",
		"Servers sharing the store, by their heartbeats, this one included.", nil, nil)
)

// vaultCollector turns a Vault's Stats into metrics when scraped.
type vaultCollector struct {
	vault *binvault.Vault
}

func (c *vaultCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cacheHitsDesc, cacheMissesDesc, binCacheBytesDesc, queueDepthDesc, queueCapacityDesc, liveNodesDesc} {
		ch <- d
	}
}

func (c *vaultCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.vault.Stats()
	for _, cs := range []struct {
		name  string
		stats binvault.CacheStats
	}{
		{"bin", st.Bins}, {"key", st.Keys}, {"account", st.Accounts},
		{"collection", st.Collections}, {"schema", st.Schemas},
	} {
		ch <- prometheus.MustNewConstMetric(cacheHitsDesc, prometheus.CounterValue, float64(cs.stats.Hits), cs.name)
		ch <- prometheus.MustNewConstMetric(cacheMissesDesc, prometheus.CounterValue, float64(cs.stats.Misses), cs.name)
	}
	ch <- prometheus.MustNewConstMetric(binCacheBytesDesc, prometheus.GaugeValue, float64(st.BinCacheBytes))
	ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(st.ActivityQueueDepth))
	ch <- prometheus.MustNewConstMetric(queueCapacityDesc, prometheus.GaugeValue, float64(st.ActivityQueueCapacity))
	ch <- prometheus.MustNewConstMetric(liveNodesDesc, prometheus.GaugeValue, float64(st.LiveNodes))
}
