package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/client"
)

const (
	// importTries bounds how often import sends one create that the server
	// turned away for now (429 rate limited, 503 store unavailable).
	importTries = 5
	// importMaxWait caps the wait a Retry-After may ask for.
	importMaxWait = time.Minute
	// importReports is about how many progress lines an import prints.
	importReports = 10
)

// importItem is one bin to create: from a file of a directory (read when
// its turn comes, so a large directory is never all in memory), or an
// element of an array file.
type importItem struct {
	source string // the file, or FILE[i]
	name   string // the bin's name, "" for none
	path   string // the file to read, when record is nil
	record []byte
}

func (it importItem) load() ([]byte, error) {
	if it.record != nil {
		return it.record, nil
	}
	return os.ReadFile(it.path)
}

// binImport creates one bin per JSON file of a directory, or per element
// of a JSON array file. Created ids go to stdout, one per line, in order;
// progress goes to stderr. The first failure stops the import: the ids
// printed so far are the bins it made.
func binImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, bf := newBinFlags("import", getenv)
	collection := fs.String("collection", "", "id of the collection to put the bins in")
	private := fs.Bool("private", true, "make the bins private; --private=false makes them readable by anyone with their ids")
	pos, dash, err := parseBinArgs(fs, args, stderr, 1)
	if err != nil {
		return err
	} else if dash {
		fmt.Fprintln(stderr, "bin import: reads a FILE or DIR, not standard input")
		return errUsage
	}
	items, err := importItems(pos[0])
	if err != nil {
		return fmt.Errorf("bin import: %w", err)
	}
	start, c := time.Now(), bf.client()
	step := max(1, (len(items)+importReports-1)/importReports)
	for i, it := range items {
		opts := client.CreateBinOptions{Name: it.name, Public: !*private, CollectionID: *collection}
		id, err := importOne(ctx, c, it, opts, stderr)
		if err != nil {
			return fmt.Errorf("bin import: %s: %w; %d of %d bins were imported, their ids are on stdout", it.source, err, i, len(items))
		}
		fmt.Fprintln(stdout, id)
		if n := i + 1; n%step == 0 && n < len(items) {
			fmt.Fprintf(stderr, "imported %d/%d\n", n, len(items))
		}
	}
	fmt.Fprintf(stderr, "imported %d bins from %s in %s\n", len(items), pos[0], time.Since(start).Round(time.Millisecond))
	return nil
}

// importOne creates one bin, waiting and trying again while the server
// answers 429 or 503, as its Retry-After says.
func importOne(ctx context.Context, c *client.Client, it importItem, opts client.CreateBinOptions, stderr io.Writer) (string, error) {
	record, err := it.load()
	if err != nil {
		return "", err
	}
	for try := 1; ; try++ {
		b, err := c.CreateBin(ctx, record, opts)
		if err == nil {
			return b.Metadata.ID, nil
		}
		status := client.StatusCode(err)
		if (status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable) || try == importTries {
			return "", apiError("create", err)
		}
		wait := retryAfter(err)
		fmt.Fprintf(stderr, "%s: server answered %d; trying again in %s\n", it.source, status, wait)
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(wait):
		}
	}
}

// retryAfter reads the Retry-After seconds of a refusal: 1s when absent.
func retryAfter(err error) time.Duration {
	var e *client.Error
	if errors.As(err, &e) {
		if n, perr := strconv.Atoi(e.Header.Get("Retry-After")); perr == nil && n >= 0 {
			return min(time.Duration(n)*time.Second, importMaxWait)
		}
	}
	return time.Second
}

// importItems lists what to import from path: the *.json files of a
// directory, in name order, each named after its file; or the elements of
// a JSON array file, unnamed.
func importItems(path string) ([]importItem, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return dirItems(path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(b, &elems); err != nil {
		return nil, fmt.Errorf("%s: want a JSON array, one element per bin, or a directory of .json files: %w", path, err)
	}
	items := make([]importItem, 0, len(elems))
	for i, e := range elems {
		items = append(items, importItem{source: fmt.Sprintf("%s[%d]", path, i), record: e})
	}
	return items, nil
}

func dirItems(dir string) ([]importItem, error) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, err
	}
	var items []importItem
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if r := []rune(name); len(r) > binvault.MaxBinNameLen {
			name = string(r[:binvault.MaxBinNameLen])
		}
		p := filepath.Join(dir, e.Name())
		items = append(items, importItem{source: p, name: name, path: p})
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%s holds no .json files", dir)
	}
	return items, nil
}
