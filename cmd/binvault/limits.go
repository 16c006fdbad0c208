package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/binvault/binvault"
)

// accountLimits sets and shows an account's limits:
//
//	binvault account limits [--account A] [--requests-per-month N] [--max-bins N]
//	    [--max-bin-size N] [--max-access-keys N] [--versioning true|false]
//
// A value of "default" puts a limit back to the instance default; 0 means
// no limit. It prints the account's usage against its effective limits.
func accountLimits(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("account limits", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs, getenv)
	account := fs.String("account", binvault.AdminName, "account id, email or name")
	set := map[string]*string{}
	for _, name := range []string{"requests-per-month", "max-bins", "max-bin-size", "max-access-keys", "max-collections", "versioning"} {
		set[name] = fs.String(name, "", "new limit, or \"default\"")
	}
	if _, err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	change, reset, err := limitChange(set)
	if err != nil {
		fmt.Fprintln(stderr, "account limits:", err)
		return errUsage
	}
	return withVault(ctx, sf, func(v *binvault.Vault) error {
		if _, _, err := v.SetLimits(ctx, *account, change, reset); err != nil {
			return cliError(err)
		}
		u, err := v.AccountUsage(ctx, *account)
		if err != nil {
			return cliError(err)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(u)
	})
}

// limitChange turns the flags into a Limits change and the names to reset.
func limitChange(set map[string]*string) (binvault.Limits, []string, error) {
	var l binvault.Limits
	var reset []string
	for name, p := range set {
		v := *p
		switch {
		case v == "":
			continue
		case v == "default":
			reset = append(reset, name)
			continue
		}
		var err error
		switch name {
		case "versioning":
			b, perr := strconv.ParseBool(v)
			l.Versioning, err = &b, perr
		case "requests-per-month":
			n, perr := strconv.ParseInt(v, 10, 64)
			l.RequestsPerMonth, err = &n, nonNegative(n, perr)
		default:
			n, perr := strconv.Atoi(v)
			err = nonNegative(int64(n), perr)
			switch name {
			case "max-bins":
				l.MaxBins = &n
			case "max-bin-size":
				l.MaxBinSize = &n
			case "max-access-keys":
				l.MaxAccessKeys = &n
			case "max-collections":
				l.MaxCollections = &n
			}
		}
		if err != nil {
			return l, nil, fmt.Errorf("--%s: %q is not a valid value", name, v)
		}
	}
	return l, reset, nil
}

func nonNegative(n int64, err error) error {
	if err == nil && n < 0 {
		return fmt.Errorf("negative")
	}
	return err
}
