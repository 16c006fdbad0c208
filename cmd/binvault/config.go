package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/password"
	"github.com/binvault/binvault/postgres"
	"github.com/binvault/binvault/schema"
	"github.com/binvault/binvault/sqlite"
)

// storeFlags are the flags every command that opens the store takes.
type storeFlags struct {
	data        string
	databaseURL string
	wrap        func(binvault.Store) binvault.Store // when set, open hands the Vault wrap(store), e.g. timed
}

func (f *storeFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&f.data, "data", envOr(getenv, "BINVAULT_DATA", "./binvault-data"), "data directory of the embedded store (env BINVAULT_DATA)")
	fs.StringVar(&f.databaseURL, "database-url", getenv("BINVAULT_DATABASE_URL"), "postgres:// URL to use PostgreSQL instead (env BINVAULT_DATABASE_URL)")
}

// open opens the configured store and a Vault over it. On PostgreSQL the
// bin cache is off: other nodes write the same bins, and a read must see
// their writes at once.
func (f *storeFlags) open(ctx context.Context, cfg binvault.Config) (binvault.Store, *binvault.Vault, error) {
	var store binvault.Store
	var err error
	if f.databaseURL != "" {
		if !strings.HasPrefix(f.databaseURL, "postgres://") && !strings.HasPrefix(f.databaseURL, "postgresql://") {
			return nil, nil, errors.New("--database-url: only postgres:// URLs are supported")
		}
		store, err = postgres.Open(ctx, f.databaseURL)
		cfg.CacheBytes = -1
	} else {
		store, err = sqlite.Open(ctx, f.data)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open store: %w", err)
	}
	if f.wrap != nil {
		store = f.wrap(store)
	}
	cfg.Schemas, cfg.Passwords = schema.New(), password.Argon2id{}
	return store, binvault.NewVault(store, keys.Format{}, cfg), nil
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// parseFlags parses args, printing errors and usage to stderr. Flags may
// come before or after the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) ([]string, error) {
	fs.SetOutput(stderr)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if strings.HasPrefix(args[0], "-") && args[0] != "-" { // "-" is stdin, a value
			continue
		}
		positional, args = append(positional, args[0]), args[1:]
	}
}
