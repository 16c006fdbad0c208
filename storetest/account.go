package storetest

import (
	"testing"

	"github.com/binvault/binvault"
)

func accountTests() []test {
	return []test{
		{"FindAccountByIDEmailAndName", testFindAccount},
		{"FindAccountPrefersIDThenEmailThenName", testFindAccountOrder},
		{"DuplicateEmailConflicts", testDuplicateEmail},
		{"UnknownAccountNotFound", testUnknownAccount},
		{"CountAccounts", testCountAccounts},
		{"AccountsWithoutEmailCoexist", testAccountsWithoutEmail},
		{"EmptyRefFindsNoAccount", testEmptyAccountRef},
	}
}

// wantAccount reports every field in which got differs from want.
func wantAccount(tb testing.TB, what string, got, want *binvault.Account) {
	tb.Helper()
	if got == nil {
		tb.Errorf("%s = nil", what)
		return
	}
	if got.ID != want.ID {
		tb.Errorf("%s.ID = %q, want %q", what, got.ID, want.ID)
	}
	if got.Email != want.Email {
		tb.Errorf("%s.Email = %q, want %q", what, got.Email, want.Email)
	}
	if got.Name != want.Name {
		tb.Errorf("%s.Name = %q, want %q", what, got.Name, want.Name)
	}
	wantTime(tb, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
}

func testFindAccount(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	a := &binvault.Account{ID: binvault.NewID(at(0)), Email: "ada@example.com", Name: "Ada Lovelace", CreatedAt: at(123)}
	if err := s.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	other := MustCreateAccount(t, s, "bob@example.com", "Bob")
	for _, ref := range []string{a.ID, a.Email, a.Name} {
		got, err := s.FindAccount(ctx, ref)
		if err != nil {
			t.Errorf("FindAccount(%q): %v", ref, err)
			continue
		}
		wantAccount(t, "FindAccount("+ref+")", got, a)
	}
	got, err := s.FindAccount(ctx, other.Email)
	if err != nil {
		t.Fatal(err)
	}
	wantAccount(t, "FindAccount("+other.Email+")", got, other)
}

// An email is looked up before a name, an id before both: a name that
// happens to be another account's email must not shadow that account.
func testFindAccountOrder(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	byEmail := MustCreateAccount(t, s, "carol@example.com", "Carol")
	MustCreateAccount(t, s, "dave@example.com", byEmail.Email)
	byID := MustCreateAccount(t, s, "erin@example.com", "Erin")
	MustCreateAccount(t, s, "frank@example.com", byID.ID)

	if got, err := s.FindAccount(ctx, byEmail.Email); err != nil {
		t.Fatal(err)
	} else if got.ID != byEmail.ID {
		t.Errorf("FindAccount(%q) found %q (named so), want %q (with that email)", byEmail.Email, got.ID, byEmail.ID)
	}
	if got, err := s.FindAccount(ctx, byID.ID); err != nil {
		t.Fatal(err)
	} else if got.ID != byID.ID {
		t.Errorf("FindAccount(%q) found %q (named so), want the account with that id", byID.ID, got.ID)
	}
}

func testDuplicateEmail(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	first := MustCreateAccount(t, s, "ada@example.com", "Ada")
	dup := &binvault.Account{ID: binvault.NewID(at(1)), Email: first.Email, Name: "Impostor", CreatedAt: at(1)}
	wantCode(t, "CreateAccount with a taken email", s.CreateAccount(ctx, dup), binvault.ECONFLICT)

	if n, err := s.CountAccounts(ctx); err != nil {
		t.Fatal(err)
	} else if n != 1 {
		t.Errorf("CountAccounts = %d after a refused duplicate, want 1", n)
	}
	got, err := s.FindAccount(ctx, first.Email)
	if err != nil {
		t.Fatal(err)
	}
	wantAccount(t, "FindAccount(email)", got, first)
	_, err = s.FindAccount(ctx, dup.ID)
	wantCode(t, "FindAccount(refused account's id)", err, binvault.ENOTFOUND)
}

func testUnknownAccount(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	for _, populated := range []bool{false, true} {
		if populated {
			MustCreateAccount(t, s, "ada@example.com", "Ada")
		}
		for _, ref := range []string{binvault.NewID(at(0)), "nobody@example.com", "Nobody"} {
			a, err := s.FindAccount(ctx, ref)
			wantCode(t, "FindAccount("+ref+")", err, binvault.ENOTFOUND)
			if a != nil {
				t.Errorf("FindAccount(%q) = %+v with an error, want nil", ref, a)
			}
		}
	}
}

func testCountAccounts(t *testing.T, s binvault.Store) {
	for i, email := range []string{"", "a@example.com", "b@example.com", ""} {
		n, err := s.CountAccounts(t.Context())
		if err != nil {
			t.Fatal(err)
		} else if n != i {
			t.Errorf("CountAccounts = %d, want %d", n, i)
		}
		MustCreateAccount(t, s, email, "account")
	}
}

// The bootstrap admin has no email; a second email-less account (an admin
// bootstrapped twice, or restored) must not collide with it.
func testAccountsWithoutEmail(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	admin := MustCreateAccount(t, s, "", binvault.AdminName)
	ops := &binvault.Account{ID: binvault.NewID(at(0)), Name: "ops", CreatedAt: at(0)}
	if err := s.CreateAccount(ctx, ops); err != nil {
		t.Fatalf("second account without email: %v", err)
	}
	if n, err := s.CountAccounts(ctx); err != nil {
		t.Fatal(err)
	} else if n != 2 {
		t.Errorf("CountAccounts = %d, want 2", n)
	}
	for _, want := range []*binvault.Account{admin, ops} {
		for _, ref := range []string{want.ID, want.Name} {
			got, err := s.FindAccount(ctx, ref)
			if err != nil {
				t.Errorf("FindAccount(%q): %v", ref, err)
				continue
			}
			wantAccount(t, "FindAccount("+ref+")", got, want)
		}
	}
}

// An empty reference names no account, even though the admin's email is
// empty: "" must not be a way to reach the admin.
func testEmptyAccountRef(t *testing.T, s binvault.Store) {
	MustCreateAccount(t, s, "", binvault.AdminName)
	a, err := s.FindAccount(t.Context(), "")
	wantCode(t, `FindAccount("")`, err, binvault.ENOTFOUND)
	if a != nil {
		t.Errorf(`FindAccount("") = %+v, want nil`, a)
	}
}
