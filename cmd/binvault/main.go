// Command binvault runs the binvault server and manages its accounts and
// keys from the command line.
//
//	binvault serve [--addr A] [--data D]
//	binvault account create --email E
//	binvault keys create|list|revoke
//	binvault bin create|get|put|patch|delete|import
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "binvault:", err)
		os.Exit(1)
	}
}

// errUsage marks a command line that could not be understood; the usage
// has already been printed.
var errUsage = errors.New("usage")

const usage = `usage:
  binvault serve [--addr 127.0.0.1:8080] [--data ./binvault-data]
  binvault account create --email E [--data D]
  binvault account password [--account admin] --password-file F|- [--data D]
  binvault account invite [--data D]   (prints a single-use sign-up code, valid 7 days)
  binvault account limits [--account admin] [--requests-per-month N] [--max-bins N]
      [--max-bin-size N] [--max-access-keys N] [--max-collections N] [--versioning true|false] [--data D]
      (a value of "default" restores the instance default; 0 means no limit)
  binvault keys create [--account admin] [--name N] [--data D]
  binvault keys list [--account admin] [--json] [--data D]
  binvault keys revoke [--account admin] [--data D] KEY_ID_OR_PREFIX
  binvault bin create [--name N] [--private=false] [--collection C] [--file F|-]
  binvault bin get [--version latest|N] [--meta] [--path JSONPATH] BIN_ID
  binvault bin put [--versioning] [--if-match ETAG] [--file F|-] BIN_ID
  binvault bin patch [--merge|--json-patch] [--versioning] [--if-match ETAG] [--file F|-] BIN_ID
  binvault bin delete [--if-match ETAG] BIN_ID
  binvault bin import [--collection C] [--private=false] DIR|FILE
      (bin commands call a running server: --url, env BINVAULT_URL, default
      http://127.0.0.1:8080; --key, env BINVAULT_KEY: an API key, or a bv_ak_
      access key. A body is read from --file, or from standard input. The
      server's JSON goes to stdout, a record as stored; the ETag to stderr.
      import makes one bin per DIR/*.json file, named after it, or per element
      of a JSON array FILE; it prints each new bin's id on stdout and its
      progress on stderr, and waits out 429 and 503 answers)
`

// run is the whole program, with its environment passed in so tests can run
// it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch cmd, rest := args[0], args[1:]; {
	case cmd == "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case cmd == "account" && len(rest) > 0 && rest[0] == "create":
		return accountCreate(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "account" && len(rest) > 0 && rest[0] == "limits":
		return accountLimits(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "account" && len(rest) > 0 && rest[0] == "invite":
		return accountInvite(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "account" && len(rest) > 0 && rest[0] == "password":
		return accountPassword(ctx, rest[1:], getenv, stdout, stderr)
	case cmd == "keys" && len(rest) > 0:
		return keysCommand(ctx, rest[0], rest[1:], getenv, stdout, stderr)
	case cmd == "bin" && len(rest) > 0:
		return binCommand(ctx, rest[0], rest[1:], getenv, stdout, stderr)
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return errUsage
}
