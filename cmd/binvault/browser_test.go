package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// TestDashboardInBrowser drives the dashboard with a real headless
// chromium: sign up, create an API key, create and edit a bin, revoke the
// key, checking each effect over the JSON API. It keeps a full-page
// screenshot of every page in a folder under os.TempDir().
func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the browser test in -short mode")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("skipping the browser test: no browser at %s (apt-get install chromium): %v", chromiumPath, err)
	}
	userData := t.TempDir() // made first, so removed after the browser exits
	s := MustServe(t, t.TempDir())

	shots := filepath.Join(os.TempDir(), fmt.Sprintf("binvault-screens-%d", time.Now().Unix()))
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s", shots)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(userData),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc) // waits for the browser process to exit
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelBrowser)

	// step runs actions in the browser within its own time limit.
	step := func(name string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, timeout)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			lctx, cancel := context.WithTimeout(bctx, 5*time.Second)
			defer cancel()
			url, _ := chromedp.Run(lctx, chromedp.Location()) // best effort, for the message
			t.Fatalf("%s (page %s): %v", name, url, err)
		}
	}
	// get stores the value of a into dst.
	get := func(dst *string, a chromedp.Action[string]) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			v, err := a(ctx, tg)
			*dst = v
			return err
		})
	}
	n := 0
	// shot saves a full-page screenshot (PNG) of the current page.
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			png, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			n++
			return os.WriteFile(filepath.Join(shots, fmt.Sprintf("%02d-%s.png", n, name)), png, 0o644)
		})
	}
	desktop := chromedp.EmulateViewport(1280, 900)

	// Start the browser outside any step's timeout: the first Run
	// allocates it, bound to the whole test's context.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}

	// Sign up; the response shows the account's first API key once.
	const email, password = "e2e@example.com", "correct horse battery"
	var firstKey, heading string
	step("sign up", 30*time.Second,
		desktop,
		chromedp.Navigate(s.URL+"/signup"),
		chromedp.WaitVisible(chromedp.ID("email")),
		shot("signup"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("confirm"), password),
		chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("secret")),
		get(&firstKey, chromedp.Value(chromedp.ID("secret"))),
		shot("signup-first-key"),
	)
	if !keyPattern.MatchString(firstKey) || len(firstKey) != len(keyPattern.FindString(firstKey)) {
		t.Fatalf("sign-up page shows key %q; want a whole API key", firstKey)
	}

	// Create an API key named e2e on the API keys page.
	var e2eKey string
	step("create key e2e", 20*time.Second,
		chromedp.Navigate(s.URL+"/keys"),
		chromedp.WaitVisible(chromedp.ID("name")),
		shot("keys"),
		chromedp.SendKeys(chromedp.ID("name"), "e2e"),
		chromedp.Click(chromedp.CSS(`form[action="/keys"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("secret")),
		get(&e2eKey, chromedp.Value(chromedp.ID("secret"))),
		get(&heading, chromedp.Text(chromedp.ID("new-key"))),
		chromedp.WaitVisible(chromedp.CSS(`button[aria-label="Revoke e2e"]`)),
		shot("keys-new-e2e"),
	)
	if keyPattern.FindString(e2eKey) != e2eKey || e2eKey == firstKey {
		t.Fatalf("keys page shows new key %q; want a whole API key other than the first (%q)", e2eKey, firstKey)
	}
	if !strings.Contains(heading, "e2e") {
		t.Errorf("new key heading = %q; want it to name the key \"e2e\"", heading)
	}

	// The key works over the API.
	apiBin := s.MustCreateBin(t, e2eKey, `[]`)

	// Create a bin in the browser, then edit it there.
	var binID, notice string
	step("create bin", 20*time.Second,
		chromedp.Navigate(s.URL+"/bins/new"),
		chromedp.WaitVisible(chromedp.ID("record")),
		chromedp.SetValue(chromedp.ID("record"), `[]`),
		shot("bins-new"),
		chromedp.Click(chromedp.CSS(`form[action="/bins/new"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("bin-id")),
		get(&binID, chromedp.Value(chromedp.ID("bin-id"))),
		shot("bin-created"),
	)
	if binID == "" || binID == apiBin {
		t.Fatalf("bin page shows id %q; want a new bin's id (the API's bin is %q)", binID, apiBin)
	}
	const record = `[{"user":"ada"}]`
	step("edit bin", 20*time.Second,
		chromedp.SetValue(chromedp.ID("record"), record),
		chromedp.Click(chromedp.CSS(`form[action="/bins/`+binID+`"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
		get(&notice, chromedp.Text(chromedp.CSS(`p.notice`))),
		shot("bin-saved"),
	)
	if notice != "Saved." {
		t.Errorf("notice after saving = %q; want \"Saved.\"", notice)
	}
	status, body := s.MustDo(t, "GET", "/v3/b/"+binID+"/latest?meta=false", e2eKey, "")
	if status != http.StatusOK || string(body) != record {
		t.Fatalf("GET /v3/b/%s/latest?meta=false = %d %s; want 200 %s", binID, status, body, record)
	}

	// The bins page lists both bins, at desktop and at phone width.
	var binsHTML string
	var narrowWidth int
	step("bins page", 20*time.Second,
		chromedp.Navigate(s.URL+"/bins"),
		chromedp.WaitVisible(chromedp.CSS(`main table`)),
		get(&binsHTML, chromedp.OuterHTML(chromedp.CSS(`main`))),
		shot("bins-1280"),
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`main table`)),
		shot("bins-390"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			narrowWidth, err = chromedp.Evaluate[int](`document.documentElement.scrollWidth`)(ctx, tg)
			return err
		}),
		desktop,
	)
	if narrowWidth > 390 {
		t.Errorf("at 390px the bins page is %dpx wide; want no sideways scrolling of the page", narrowWidth)
	}
	for _, id := range []string{apiBin, binID} {
		if !strings.Contains(binsHTML, id) {
			t.Errorf("bins page does not list bin %s", id)
		}
	}

	// Revoke e2e, through its confirmation page.
	var keysHTML string
	step("revoke key e2e", 20*time.Second,
		chromedp.Navigate(s.URL+"/keys"),
		chromedp.WaitVisible(chromedp.CSS(`button[aria-label="Revoke e2e"]`)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Revoke e2e"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=confirm][value=yes] ~ button.danger`)),
		shot("revoke-confirm"),
		chromedp.Click(chromedp.CSS(`input[name=confirm][value=yes] ~ button.danger`)),
		chromedp.WaitVisible(chromedp.ID("name")), // back on the keys list
		get(&keysHTML, chromedp.OuterHTML(chromedp.CSS(`main`))),
		shot("keys-after-revoke"),
	)
	if strings.Contains(keysHTML, `aria-label="Revoke e2e"`) {
		t.Errorf("keys page still lists e2e after revoking it")
	}
	if !strings.Contains(keysHTML, "<code>"+firstKey[:12]+"</code>") {
		t.Errorf("keys page no longer lists the first key (%s…) after revoking e2e", firstKey[:12])
	}
	if status, body := s.MustDo(t, "GET", "/v3/b/"+binID+"/latest?meta=false", e2eKey, ""); status != http.StatusUnauthorized {
		t.Errorf("GET with the revoked key = %d %s; want 401", status, body)
	}
	if got := s.MustRecord(t, firstKey, binID); string(got) != record {
		t.Errorf("record read with the first key = %s; want %s", got, record)
	}
}
