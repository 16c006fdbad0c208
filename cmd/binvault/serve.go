package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/dashboard"
	"github.com/binvault/binvault/httpapi"
)

// drainTimeout bounds how long shutdown waits for in-flight requests.
const drainTimeout = 30 * time.Second

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs, getenv)
	addr := fs.String("addr", envOr(getenv, "BINVAULT_ADDR", "127.0.0.1:8080"), "listen address (env BINVAULT_ADDR)")
	maxBin := fs.Int("max-bin-size", 1<<20, "largest bin accepted, in bytes")
	cacheBytes := fs.Int("cache-bytes", 32<<20, "memory for cached bin records, in bytes (negative: no cache)")
	origins := fs.String("allowed-origins", envOr(getenv, "BINVAULT_ALLOWED_ORIGINS", "*"), "comma-separated CORS origins for API routes (env BINVAULT_ALLOWED_ORIGINS)")
	var q quotaFlags
	q.register(fs)
	var mf metricsFlags
	mf.register(fs, getenv)
	lim := httpapi.Limits{AuthFailRate: 1, AuthFailBurst: 20}
	fs.Float64Var(&lim.KeyRate, "key-rate", 0, "requests per second allowed per key (0: no limit)")
	fs.IntVar(&lim.KeyBurst, "key-burst", 100, "burst allowed per key")
	fs.Float64Var(&lim.IPRate, "ip-rate", 0, "requests per second allowed per client IP (0: no limit)")
	fs.IntVar(&lim.IPBurst, "ip-burst", 100, "burst allowed per client IP")
	fs.Float64Var(&lim.AuthFailRate, "auth-fail-rate", lim.AuthFailRate, "failed authentications per second tolerated per client IP (0: no limit)")
	fs.IntVar(&lim.AuthFailBurst, "auth-fail-burst", lim.AuthFailBurst, "failed authentications per client IP before it is slowed down")
	proxies := fs.String("trusted-proxies", "", "comma-separated CIDRs of proxies whose X-Forwarded-For is believed")
	secureCookies := fs.Bool("secure-cookies", false, "mark dashboard cookies Secure (set it when clients reach binvault over HTTPS, e.g. behind a TLS proxy)")
	signUp := fs.String("sign-up", envOr(getenv, "BINVAULT_SIGN_UP", binvault.SignUpOpen), "who may create accounts in the dashboard: open, invite (with a code from `binvault account invite`) or closed (env BINVAULT_SIGN_UP)")
	if _, err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if lim.TrustedProxies, err = parsePrefixes(*proxies); err != nil {
		return err
	}
	if *signUp != binvault.SignUpOpen && *signUp != binvault.SignUpInvite && *signUp != binvault.SignUpClosed {
		return fmt.Errorf("--sign-up: %q is not open, invite or closed", *signUp)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := mf.setup(&sf, log); err != nil {
		return err
	}
	if sf.databaseURL == "" {
		release, err := lockDataDir(sf.data)
		if err != nil {
			return err
		}
		defer release()
	}

	cfg := q.config()
	cfg.MaxBinSize, cfg.CacheBytes, cfg.Logger, cfg.Serving, cfg.SignUp = *maxBin, *cacheBytes, log, true, *signUp
	store, vault, err := sf.open(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	// Runs after the server has drained: writes request counts, last-used
	// times and the activity log.
	defer vault.Close()
	if err := bootstrap(ctx, vault, stdout); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler: httpapi.New(vault, log, mf.config(httpapi.Config{
			AllowedOrigins: strings.Split(*origins, ","), Limits: lim,
			Dashboard: dashboard.New(vault, log, dashboard.Config{Secure: *secureCookies}),
		}, vault, log)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Event streams never go idle: end them as shutdown begins, or it
	// would wait out drainTimeout for them.
	if api, ok := srv.Handler.(*httpapi.Server); ok {
		srv.RegisterOnShutdown(api.EndStreams)
	}
	fmt.Fprintf(stdout, "binvault: listening on http://%s\n", ln.Addr())
	log.Info("serving", "addr", ln.Addr().String(), "data", sf.data)
	return serveUntilDone(ctx, srv, ln, log)
}

// bootstrap gives an empty store its admin account and shows the key once.
func bootstrap(ctx context.Context, vault *binvault.Vault, stdout io.Writer) error {
	secret, err := vault.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if secret != "" {
		fmt.Fprintf(stdout, "binvault: created account %q; its API key is shown only this once:\n%s\n", binvault.AdminName, secret)
	}
	return nil
}

// serveUntilDone serves until ctx ends (SIGINT, SIGTERM), then stops
// accepting and waits for in-flight requests before returning.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// quotaFlags are the instance-wide defaults of account limits.
type quotaFlags struct {
	requests                int64
	bins, accessKeys        int
	collections             int
	noVersioning            bool
	activityRetentionInDays int
}

func (q *quotaFlags) register(fs *flag.FlagSet) {
	fs.Int64Var(&q.requests, "requests-per-month", 0, "default request quota per account and month (0: none)")
	fs.IntVar(&q.bins, "max-bins", 0, "default bins per account (0: none)")
	fs.IntVar(&q.accessKeys, "max-access-keys", 3, "default access keys per account (negative: none)")
	fs.IntVar(&q.collections, "max-collections", 0, "default collections per account (0: none)")
	fs.BoolVar(&q.noVersioning, "no-versioning", false, "refuse X-Bin-Versioning: true unless an account allows it")
	fs.IntVar(&q.activityRetentionInDays, "activity-retention-days", 90, "days the activity log keeps entries")
}

func (q *quotaFlags) config() binvault.Config {
	return binvault.Config{
		RequestsPerMonth: q.requests, MaxBins: q.bins, MaxAccessKeys: q.accessKeys, MaxCollections: q.collections,
		NoVersioning:      q.noVersioning,
		ActivityRetention: time.Duration(q.activityRetentionInDays) * 24 * time.Hour,
	}
}

// parsePrefixes reads comma-separated CIDRs or addresses.
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("--trusted-proxies: %q is not a CIDR or address", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	return out, nil
}
