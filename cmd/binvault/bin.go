package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/binvault/binvault/client"
)

// The `bin` commands are a client of a running server, over HTTP, through
// package client: they need no access to the store, only a URL and a key.
// Records go to stdout as the server sent them; the ETag of a read or
// write goes to stderr, where it does not mix with the JSON.

// binFlags are the flags every `bin` command takes: where the server is
// and which key to send.
type binFlags struct {
	url, key string
}

// newBinFlags returns the flag set of `bin <sub>` with the common flags.
func newBinFlags(sub string, getenv func(string) string) (*flag.FlagSet, *binFlags) {
	fs := flag.NewFlagSet("bin "+sub, flag.ContinueOnError)
	f := &binFlags{}
	fs.StringVar(&f.url, "url", envOr(getenv, "BINVAULT_URL", "http://127.0.0.1:8080"), "the server's URL (env BINVAULT_URL)")
	fs.StringVar(&f.key, "key", getenv("BINVAULT_KEY"), "an API key, or a bv_ak_ access key (env BINVAULT_KEY, which keeps it out of the process list)")
	return fs, f
}

// client returns a client that sends the key in the header its kind
// belongs in: an access key as X-Access-Key, anything else as
// X-Master-Key.
func (f *binFlags) client() *client.Client {
	opts := []client.Option{client.WithUserAgent("binvault-cli")}
	switch {
	case f.key == "":
	case strings.HasPrefix(f.key, "bv_ak_"):
		opts = append(opts, client.WithAccessKey(f.key))
	default:
		opts = append(opts, client.WithMasterKey(f.key))
	}
	return client.New(f.url, opts...)
}

// binCommand runs `bin create|get|put|patch|delete|import`.
func binCommand(ctx context.Context, sub string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	switch sub {
	case "create":
		return binCreate(ctx, args, getenv, stdout, stderr)
	case "get":
		return binGet(ctx, args, getenv, stdout, stderr)
	case "put":
		return binPut(ctx, args, getenv, stdout, stderr)
	case "patch":
		return binPatch(ctx, args, getenv, stdout, stderr)
	case "delete":
		return binDelete(ctx, args, getenv, stdout, stderr)
	case "import":
		return binImport(ctx, args, getenv, stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return errUsage
}

func binCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, bf := newBinFlags("create", getenv)
	name := fs.String("name", "", "the bin's name (X-Bin-Name)")
	private := fs.Bool("private", true, "make the bin private; --private=false makes it readable by anyone with its id")
	collection := fs.String("collection", "", "id of the collection to put the bin in")
	file := fs.String("file", "", `read the record from this file ("-" or none: standard input)`)
	_, dash, err := parseBinArgs(fs, args, stderr, 0)
	if err != nil {
		return err
	}
	record, err := readInput(*file, dash, stderr)
	if err != nil {
		return err
	}
	b, err := bf.client().CreateBin(ctx, record, client.CreateBinOptions{Name: *name, Public: !*private, CollectionID: *collection})
	if err != nil {
		return apiError("bin create", err)
	}
	return printBin(stdout, stderr, b)
}

func binGet(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, bf := newBinFlags("get", getenv)
	version := fs.String("version", "latest", "the version to read: latest, or a number (0: the bin as created)")
	meta := fs.Bool("meta", false, `print {"record":…,"metadata":…} instead of the record alone`)
	path := fs.String("path", "", "a JSONPath expression: print what it selects (X-JSON-Path)")
	pos, dash, err := parseBinArgs(fs, args, stderr, 1)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(*version)
	if dash || (*version != "latest" && (err != nil || n < 0)) {
		fmt.Fprintln(stderr, "bin get: --version is latest or a number ≥ 0, and no body is read")
		return errUsage
	}
	c, opts := bf.client(), client.ReadBinOptions{NoMeta: !*meta, JSONPath: *path}
	var b *client.Bin
	if *version == "latest" {
		b, err = c.ReadBin(ctx, pos[0], opts)
	} else {
		b, err = c.ReadBinVersion(ctx, pos[0], n, opts)
	}
	if err != nil {
		return apiError("bin get", err)
	}
	return printBin(stdout, stderr, b)
}

func binPut(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, bf := newBinFlags("put", getenv)
	versioning := fs.Bool("versioning", false, "keep the current record as a version (X-Bin-Versioning)")
	ifMatch := fs.String("if-match", "", "write only while the bin's ETag is still this one (else 412)")
	file := fs.String("file", "", `read the record from this file ("-" or none: standard input)`)
	pos, dash, err := parseBinArgs(fs, args, stderr, 1)
	if err != nil {
		return err
	}
	record, err := readInput(*file, dash, stderr)
	if err != nil {
		return err
	}
	b, err := bf.client().UpdateBin(ctx, pos[0], record, client.UpdateBinOptions{Versioning: *versioning, IfMatch: *ifMatch})
	if err != nil {
		return apiError("bin put", err)
	}
	return printBin(stdout, stderr, b)
}

func binPatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, bf := newBinFlags("patch", getenv)
	merge := fs.Bool("merge", false, "the patch is a JSON Merge Patch, RFC 7396 (the default)")
	jsonPatch := fs.Bool("json-patch", false, "the patch is a JSON Patch, RFC 6902")
	versioning := fs.Bool("versioning", false, "keep the current record as a version (X-Bin-Versioning)")
	ifMatch := fs.String("if-match", "", "patch only while the bin's ETag is still this one (else 412)")
	file := fs.String("file", "", `read the patch from this file ("-" or none: standard input)`)
	pos, dash, err := parseBinArgs(fs, args, stderr, 1)
	if err != nil {
		return err
	} else if *merge && *jsonPatch {
		fmt.Fprintln(stderr, "bin patch: --merge and --json-patch exclude each other")
		return errUsage
	}
	p, err := readInput(*file, dash, stderr)
	if err != nil {
		return err
	}
	opts := client.PatchBinOptions{Type: client.MergePatch, Versioning: *versioning, IfMatch: *ifMatch}
	if *jsonPatch {
		opts.Type = client.JSONPatch
	}
	b, err := bf.client().PatchBin(ctx, pos[0], p, opts)
	if err != nil {
		return apiError("bin patch", err)
	}
	return printBin(stdout, stderr, b)
}

func binDelete(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, bf := newBinFlags("delete", getenv)
	ifMatch := fs.String("if-match", "", "delete only while the bin's ETag is still this one (else 412)")
	pos, dash, err := parseBinArgs(fs, args, stderr, 1)
	if err != nil {
		return err
	} else if dash {
		fmt.Fprintln(stderr, "bin delete: no body is read")
		return errUsage
	}
	d, err := bf.client().DeleteBin(ctx, pos[0], client.DeleteBinOptions{IfMatch: *ifMatch})
	if err != nil {
		return apiError("bin delete", err)
	}
	out, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return writeLine(stdout, out)
}

// parseBinArgs parses a bin command's arguments, which must leave exactly
// n positional ones. dash reports a lone "-" (read standard input), taken
// out first: parseFlags cannot take it as a positional argument.
func parseBinArgs(fs *flag.FlagSet, args []string, stderr io.Writer, n int) (pos []string, dash bool, err error) {
	args, dash = takeDash(fs, args)
	if pos, err = parseFlags(fs, args, stderr); err != nil {
		return nil, false, err
	}
	if len(pos) != n {
		what := "no arguments"
		if n == 1 {
			what = "one argument, the bin id"
		}
		fmt.Fprintf(stderr, "%s: takes %s besides its flags; got %q\n", fs.Name(), what, pos)
		return nil, false, errUsage
	}
	return pos, dash, nil
}

// takeDash removes every lone "-" from args and reports whether there was
// one. A "-" that is the value of a flag (--file -) stays.
func takeDash(fs *flag.FlagSet, args []string) ([]string, bool) {
	out, dash := make([]string, 0, len(args)), false
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-":
			dash = true
		case takesValue(fs, a) && i+1 < len(args):
			out = append(out, a, args[i+1])
			i++
		default:
			out = append(out, a)
		}
	}
	return out, dash
}

// takesValue reports whether arg is a flag of fs whose value is the next
// argument: a non-boolean flag written without "=".
func takesValue(fs *flag.FlagSet, arg string) bool {
	if !strings.HasPrefix(arg, "-") || strings.Contains(arg, "=") {
		return false
	}
	f := fs.Lookup(strings.TrimLeft(arg, "-"))
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

// readInput reads a request body from file, or from standard input when
// file is "-" or unset.
func readInput(file string, dash bool, stderr io.Writer) ([]byte, error) {
	if dash && file != "" && file != "-" {
		fmt.Fprintln(stderr, "give --file or -, not both")
		return nil, errUsage
	}
	var b []byte
	var err error
	if file == "" || file == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return b, nil
}

// printBin prints the answer's JSON as the server sent it, and its ETag on
// stderr.
func printBin(stdout, stderr io.Writer, b *client.Bin) error {
	if b.ETag != "" {
		fmt.Fprintf(stderr, "ETag: %s\n", b.ETag)
	}
	return writeLine(stdout, b.Raw)
}

// writeLine writes b and a newline.
func writeLine(w io.Writer, b []byte) error {
	_, err := w.Write(append(b[:len(b):len(b)], '\n'))
	return err
}

// apiError turns a failed call into the command's error. A server's
// refusal reads as its message and status, and after a 412 also the bin's
// current ETag, which a retry's --if-match needs; the *client.Error stays
// in the chain.
func apiError(cmd string, err error) error {
	var e *client.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return &refusal{cmd, e}
}

// refusal is a command's error for a non-2xx answer.
type refusal struct {
	cmd string
	err *client.Error
}

func (r *refusal) Error() string {
	msg := fmt.Sprintf("%s: %s (%d)", r.cmd, r.err.Message, r.err.StatusCode)
	if etag := r.err.Header.Get("ETag"); r.err.StatusCode == http.StatusPreconditionFailed && etag != "" {
		msg += "; the bin's ETag is now " + etag
	}
	return msg
}

func (r *refusal) Unwrap() error { return r.err }
