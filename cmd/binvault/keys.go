package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/binvault/binvault"
)

func accountCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("account create", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs, getenv)
	email := fs.String("email", "", "the new account's email (required)")
	if _, err := parseFlags(fs, args, stderr); err != nil {
		return err
	} else if *email == "" {
		fmt.Fprintln(stderr, "account create: --email is required")
		return errUsage
	}
	return withVault(ctx, sf, func(v *binvault.Vault) error {
		_, secret, err := v.CreateAccount(ctx, *email)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintln(stdout, secret)
		return nil
	})
}

func keysCommand(ctx context.Context, sub string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs, getenv)
	account := fs.String("account", binvault.AdminName, "account id, email or name")
	name := fs.String("name", "", "name of the new key (create)")
	asJSON := fs.Bool("json", false, "print the list as JSON (list)")
	pos, err := parseFlags(fs, args, stderr)
	if err != nil {
		return err
	}
	return withVault(ctx, sf, func(v *binvault.Vault) error {
		switch {
		case sub == "create" && len(pos) == 0:
			_, secret, err := v.CreateKey(ctx, *account, binvault.KindAPI, *name, binvault.Permissions{})
			if err != nil {
				return cliError(err)
			}
			fmt.Fprintln(stdout, secret)
			return nil
		case sub == "list" && len(pos) == 0:
			ks, err := v.ListKeys(ctx, *account, binvault.KindAPI)
			if err != nil {
				return cliError(err)
			}
			return printKeys(stdout, ks, *asJSON)
		case sub == "revoke" && len(pos) == 1:
			k, err := v.RevokeKey(ctx, *account, pos[0])
			if err != nil {
				return cliError(err)
			}
			fmt.Fprintf(stdout, "revoked %s (%s…)\n", k.ID, k.Prefix)
			return nil
		}
		fmt.Fprint(stderr, usage)
		return errUsage
	})
}

// withVault opens the store for one command and closes it after.
func withVault(ctx context.Context, sf storeFlags, fn func(*binvault.Vault) error) error {
	store, v, err := sf.open(ctx, binvault.Config{})
	if err != nil {
		return err
	}
	err = fn(v)
	v.Close()
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	return err
}

// cliError shows the Vault's message for errors a user can act on.
func cliError(err error) error {
	if binvault.ErrorCode(err) != binvault.EINTERNAL {
		return fmt.Errorf("%s", binvault.ErrorMessage(err))
	}
	return err
}

// keyView is how a key is listed: never its secret.
type keyView struct {
	ID         string  `json:"id"`
	Prefix     string  `json:"prefix"`
	Name       string  `json:"name"`
	CreatedAt  string  `json:"createdAt"`
	LastUsedAt *string `json:"lastUsedAt"`
}

func printKeys(w io.Writer, ks []*binvault.Key, asJSON bool) error {
	views := make([]keyView, 0, len(ks))
	for _, k := range ks {
		v := keyView{ID: k.ID, Prefix: k.Prefix, Name: k.Name, CreatedAt: binvault.FormatTime(k.CreatedAt)}
		if !k.LastUsedAt.IsZero() {
			s := binvault.FormatTime(k.LastUsedAt)
			v.LastUsedAt = &s
		}
		views = append(views, v)
	}
	if asJSON {
		return json.NewEncoder(w).Encode(views)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPREFIX\tNAME\tCREATED\tLAST USED")
	for _, v := range views {
		used := "never"
		if v.LastUsedAt != nil {
			used = *v.LastUsedAt
		}
		fmt.Fprintf(tw, "%s\t%s…\t%s\t%s\t%s\n", v.ID, v.Prefix, v.Name, v.CreatedAt, used)
	}
	return tw.Flush()
}

// accountPassword sets an account's dashboard password, read from a file
// or, with "-", from standard input: never from the command line, where
// other users could see it in the process list.
func accountPassword(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("account password", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs, getenv)
	account := fs.String("account", binvault.AdminName, "account id, email or name")
	file := fs.String("password-file", "", `file holding the new password, or "-" for standard input`)
	if _, err := parseFlags(fs, args, stderr); err != nil {
		return err
	} else if *file == "" {
		fmt.Fprintln(stderr, "account password: --password-file is required")
		return errUsage
	}
	var raw []byte
	var err error
	if *file == "-" {
		raw, err = io.ReadAll(io.LimitReader(os.Stdin, 4096))
	} else {
		raw, err = os.ReadFile(*file)
	}
	if err != nil {
		return fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(string(raw), "\r\n")
	return withVault(ctx, sf, func(v *binvault.Vault) error {
		if err := v.SetPassword(ctx, *account, pw); err != nil {
			return cliError(err)
		}
		fmt.Fprintln(stdout, "password set; the account's sessions were ended")
		return nil
	})
}

// accountInvite prints a single-use invitation code for invite-only
// sign-up (serve --sign-up invite).
func accountInvite(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("account invite", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs, getenv)
	if _, err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	return withVault(ctx, sf, func(v *binvault.Vault) error {
		code, err := v.CreateInvite(ctx)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintln(stdout, code)
		return nil
	})
}
