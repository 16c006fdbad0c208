package binvault_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/sqlite"
)

// feedVault is a Vault on a fresh SQLite store, with the admin's key.
type feedVault struct {
	*binvault.Vault
	dir string
	key binvault.Credentials
}

func mustFeedVault(t *testing.T, cfg binvault.Config) feedVault {
	t.Helper()
	dir := t.TempDir()
	v := mustVaultOn(t, dir, cfg)
	secret, err := v.Bootstrap(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return feedVault{v, dir, binvault.Credentials{MasterKey: secret}}
}

// mustVaultOn opens another Vault on the store in dir, as another process
// (the command line) would.
func mustVaultOn(t *testing.T, dir string, cfg binvault.Config) *binvault.Vault {
	t.Helper()
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	v := binvault.NewVault(s, keys.Format{}, cfg)
	t.Cleanup(func() { v.Close() })
	return v
}

func (v feedVault) mustBin(t *testing.T, private bool) *binvault.Bin {
	t.Helper()
	b, err := v.CreateBin(context.Background(), v.key, binvault.BinCreate{Private: private, Record: []byte(`{"n":0}`)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (v feedVault) mustSubscribe(t *testing.T, cred binvault.Credentials, id string, lastRev int64) *binvault.Subscription {
	t.Helper()
	s, err := v.Subscribe(context.Background(), cred, id, lastRev)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// mustNext returns the next event, which must be queued already (the
// timeout only keeps a broken feed from hanging the test).
func mustNext(t *testing.T, s *binvault.Subscription) binvault.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := s.Next(ctx, nil)
	if err != nil {
		t.Fatalf("no event queued: %v", err)
	}
	return ev
}

func TestFeed(t *testing.T) {
	ctx := context.Background()
	t.Run("EveryWriteIsOneEventInRevOrder", func(t *testing.T) {
		v := mustFeedVault(t, binvault.Config{})
		b := v.mustBin(t, true)
		s := v.mustSubscribe(t, v.key, b.ID, 0)
		if ev := mustNext(t, s); ev.Kind != binvault.EventUpdate || ev.Bin.Rev != b.Rev || string(ev.Bin.Record) != `{"n":0}` {
			t.Fatalf("first event %+v, want the current state", ev)
		}
		name, public := "renamed", false
		writes := []func() (*binvault.Bin, error){
			func() (*binvault.Bin, error) { return v.UpdateBin(ctx, v.key, b.ID, []byte(`{"n":1}`), true) },
			func() (*binvault.Bin, error) { return v.RenameBin(ctx, v.key, b.ID, &name) },
			func() (*binvault.Bin, error) { return v.SetBinPrivacy(ctx, v.key, b.ID, &public) },
			func() (*binvault.Bin, error) {
				_, err := v.DeleteVersions(ctx, v.key, b.ID, true)
				return nil, err
			},
		}
		rev := b.Rev
		for i, write := range writes {
			if _, err := write(); err != nil {
				t.Fatal(err)
			}
			ev := mustNext(t, s)
			if ev.Kind != binvault.EventUpdate || ev.Bin.Rev <= rev {
				t.Fatalf("write %d: event %+v after rev %d", i, ev, rev)
			}
			rev = ev.Bin.Rev
		}
		if _, err := v.DeleteBin(ctx, v.key, b.ID); err != nil {
			t.Fatal(err)
		}
		if ev := mustNext(t, s); ev.Kind != binvault.EventDelete || ev.Bin.ID != b.ID {
			t.Fatalf("after the deletion: %+v", ev)
		}
		if _, err := v.Subscribe(ctx, v.key, b.ID, 0); binvault.ErrorCode(err) != binvault.ENOTFOUND {
			t.Fatalf("subscribe to a deleted bin: %v", err)
		}
	})
	t.Run("ResumeSendsWhatWasMissed", func(t *testing.T) {
		v := mustFeedVault(t, binvault.Config{})
		b := v.mustBin(t, true)
		s := v.mustSubscribe(t, v.key, b.ID, 0)
		seen := mustNext(t, s).Bin.Rev
		s.Close()
		var last *binvault.Bin
		for range 3 {
			var err error
			if last, err = v.UpdateBin(ctx, v.key, b.ID, []byte(`{"n":2}`), false); err != nil {
				t.Fatal(err)
			}
		}
		s = v.mustSubscribe(t, v.key, b.ID, seen)
		for want := seen + 1; want <= last.Rev; want++ {
			if ev := mustNext(t, s); ev.Bin.Rev != want {
				t.Fatalf("resumed with rev %d, want %d", ev.Bin.Rev, want)
			}
		}
	})
	t.Run("HeartbeatOnEachTick", func(t *testing.T) {
		v := mustFeedVault(t, binvault.Config{})
		s := v.mustSubscribe(t, v.key, v.mustBin(t, true).ID, 0)
		mustNext(t, s)
		tick := make(chan time.Time, 1)
		tick <- time.Now()
		if ev, err := s.Next(ctx, tick); err != nil || ev.Kind != binvault.EventHeartbeat {
			t.Fatalf("on a tick: %+v, %v", ev, err)
		}
	})
	t.Run("ReadRulesApply", func(t *testing.T) {
		v := mustFeedVault(t, binvault.Config{})
		private := v.mustBin(t, true)
		_, noRead, err := v.CreateKey(ctx, binvault.AdminName, binvault.KindAccess, "none", binvault.Permissions{Update: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			cred binvault.Credentials
			code string
			msg  string
		}{
			{"PrivateBinNeedsKey", binvault.Credentials{}, binvault.EUNAUTHORIZED, binvault.MsgNoKeyRead},
			{"AccessKeyNeedsRead", binvault.Credentials{AccessKey: noRead}, binvault.EFORBIDDEN, "Access Key does not have permission to read bins"},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := v.Subscribe(ctx, c.cred, private.ID, 0)
				if binvault.ErrorCode(err) != c.code || binvault.ErrorMessage(err) != c.msg {
					t.Fatalf("got %v, want %s %q", err, c.code, c.msg)
				}
			})
		}
		public := v.mustBin(t, false)
		s := v.mustSubscribe(t, binvault.Credentials{}, public.ID, 0)
		mustNext(t, s)
		yes := true
		if _, err := v.SetBinPrivacy(ctx, v.key, public.ID, &yes); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Next(ctx, nil); binvault.ErrorCode(err) != binvault.EUNAUTHORIZED {
			t.Fatalf("anonymous feed of a bin made private: %v", err)
		}
	})
	t.Run("CancelledContextEndsNext", func(t *testing.T) {
		v := mustFeedVault(t, binvault.Config{})
		s := v.mustSubscribe(t, v.key, v.mustBin(t, true).ID, 0)
		mustNext(t, s)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Next(cctx, nil); err != context.Canceled {
			t.Fatalf("Next after cancel: %v", err)
		}
	})
	t.Run("CloseOfTheVaultEndsFeeds", func(t *testing.T) {
		v := mustFeedVault(t, binvault.Config{})
		s := v.mustSubscribe(t, v.key, v.mustBin(t, true).ID, 0)
		mustNext(t, s)
		v.Close()
		if _, err := s.Next(ctx, nil); binvault.ErrorCode(err) != binvault.EUNAVAILABLE {
			t.Fatalf("Next after Close: %v", err)
		}
	})
}

// A feed ends soon after its key is revoked, even by another process and
// while nothing is written: the feed watches AuthVersion.
func TestFeedEndsWhenKeyRevoked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := mustFeedVault(t, binvault.Config{})
		ctx := context.Background()
		k, secret, err := v.CreateKey(ctx, binvault.AdminName, binvault.KindAPI, "feed", binvault.Permissions{})
		if err != nil {
			t.Fatal(err)
		}
		s := v.mustSubscribe(t, binvault.Credentials{MasterKey: secret}, v.mustBin(t, true).ID, 0)
		mustNext(t, s)
		ended := make(chan error, 1)
		go func() {
			_, err := s.Next(ctx, nil)
			ended <- err
		}()
		cli := mustVaultOn(t, v.dir, binvault.Config{}) // `binvault keys revoke`
		if _, err := cli.RevokeKey(ctx, binvault.AdminName, k.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // the fake clock: well past one poll
		synctest.Wait()
		select {
		case err := <-ended:
			if binvault.ErrorCode(err) != binvault.EUNAUTHORIZED || binvault.ErrorMessage(err) != binvault.MsgBadMasterKeyForBin {
				t.Fatalf("feed ended with %v", err)
			}
		default:
			t.Fatal("feed still open a second after its key was revoked")
		}
	})
}
