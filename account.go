package binvault

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Account owns bins and keys.
type Account struct {
	ID        string
	Email     string // "" for the bootstrap admin
	Name      string
	CreatedAt time.Time
	Limits    Limits
}

// Limits are an account's quotas as an operator set them; a nil field
// takes the instance default (Config), and a limit of 0 means none.
type Limits struct {
	RequestsPerMonth *int64
	MaxBins          *int
	MaxBinSize       *int
	MaxAccessKeys    *int
	Versioning       *bool
	MaxCollections   *int
}

// FirstKeyName names the API key every new account is given.
const FirstKeyName = "default"

// AdminName is the account a fresh store is given.
const AdminName = "admin"

// AdminID is the bootstrap account's fixed id: when several nodes start on
// an empty database at once, only one can insert it, so only one admin
// account (and one printed key) comes to be.
const AdminID = "000000000000000000000001"

// CreateAccount creates an account with its first API key and returns the
// account and that key's secret, shown this once. Returns EINVALID for a
// malformed email and ECONFLICT if it is taken.
func (v *Vault) CreateAccount(ctx context.Context, email string) (*Account, string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !validEmail(email) {
		return nil, "", Errorf(EINVALID, "Invalid email provided")
	}
	return v.createAccount(ctx, "", email, email)
}

// Bootstrap creates the admin account on an empty store and returns its
// first API key's secret; on a store that has accounts it returns "".
func (v *Vault) Bootstrap(ctx context.Context) (string, error) {
	n, err := v.store.CountAccounts(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	_, secret, err := v.createAccount(ctx, AdminID, "", AdminName)
	if ErrorCode(err) == ECONFLICT {
		return "", nil // another node bootstrapped the same database first
	}
	return secret, err
}

func (v *Vault) createAccount(ctx context.Context, id, email, name string) (*Account, string, error) {
	now := v.now()
	if id == "" {
		id = NewID(now)
	}
	a := &Account{ID: id, Email: email, Name: name, CreatedAt: now}
	if err := v.store.CreateAccount(ctx, a); err != nil {
		return nil, "", fmt.Errorf("create account: %w", err)
	}
	_, secret, err := v.createKey(ctx, a, KindAPI, FirstKeyName, Permissions{})
	if err != nil {
		return nil, "", err
	}
	return a, secret, nil
}

// validEmail is a shape check, not a deliverability check: something@host.
func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return len(s) <= 254 && at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n") &&
		strings.Count(s, "@") == 1 && isText(s)
}

// SetLimits changes the limits of the account found by ref (command line)
// and returns the account's effective quota. Fields left nil in change stay
// as they were; reset fields go back to the instance default.
func (v *Vault) SetLimits(ctx context.Context, ref string, change Limits, reset []string) (*Account, Quota, error) {
	a, err := v.store.FindAccount(ctx, ref)
	if err != nil {
		return nil, Quota{}, err
	}
	l := a.Limits
	merge(&l.RequestsPerMonth, change.RequestsPerMonth)
	merge(&l.MaxBins, change.MaxBins)
	merge(&l.MaxBinSize, change.MaxBinSize)
	merge(&l.MaxAccessKeys, change.MaxAccessKeys)
	merge(&l.Versioning, change.Versioning)
	merge(&l.MaxCollections, change.MaxCollections)
	for _, name := range reset {
		switch name {
		case "requests-per-month":
			l.RequestsPerMonth = nil
		case "max-bins":
			l.MaxBins = nil
		case "max-bin-size":
			l.MaxBinSize = nil
		case "max-access-keys":
			l.MaxAccessKeys = nil
		case "versioning":
			l.Versioning = nil
		case "max-collections":
			l.MaxCollections = nil
		default:
			return nil, Quota{}, Errorf(EINVALID, "unknown limit %q", name)
		}
	}
	if err := v.store.SetAccountLimits(ctx, a.ID, l); err != nil {
		return nil, Quota{}, err
	}
	v.accounts.clear()
	a.Limits = l
	return a, v.quotaOf(a), nil
}

// Usage is an account's consumption against its quota (GET /v3/usage).
type Usage struct {
	Period     string `json:"period"`
	Requests   int64  `json:"requests"`
	Bins       int    `json:"bins"`
	AccessKeys int    `json:"accessKeys"`
	Quota      Quota  `json:"limits"`
}

// Usage reports the caller's consumption. Needs an API key.
func (v *Vault) Usage(ctx context.Context, cred Credentials) (*Usage, error) {
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, err
	}
	a, err := v.account(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	return v.usageOf(ctx, a)
}

// AccountUsage reports an account's consumption (command line).
func (v *Vault) AccountUsage(ctx context.Context, ref string) (*Usage, error) {
	a, err := v.store.FindAccount(ctx, ref)
	if err != nil {
		return nil, err
	}
	return v.usageOf(ctx, a)
}

func (v *Vault) usageOf(ctx context.Context, a *Account) (*Usage, error) {
	u := &Usage{Period: period(v.now()), Quota: v.quotaOf(a)}
	var err error
	if u.Requests, err = v.store.Requests(ctx, a.ID, u.Period); err != nil {
		return nil, err
	}
	if e := v.meter.entry(a.ID, u.Period); e != nil {
		u.Requests += e.pending.Load()
	}
	if u.Bins, err = v.store.CountBins(ctx, a.ID); err != nil {
		return nil, err
	}
	ks, err := v.store.ListKeys(ctx, a.ID, KindAccess)
	u.AccessKeys = len(ks)
	return u, err
}

func merge[T any](dst **T, src *T) {
	if src != nil {
		*dst = src
	}
}
