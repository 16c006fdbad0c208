package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/binvault/binvault"
)

// InstrumentStore returns s with every operation timed in
// binvault_store_operation_duration_seconds{op}, op being the Store method's
// name. AuthVersion (an atomic load, called on every request) and Close
// are passed through untimed. BinRevs, of binvault.SharedBinStore, is timed
// too when s has it. Errors and results are s's, unchanged.
func (m *Metrics) InstrumentStore(s binvault.Store) binvault.Store {
	t := &timedStore{Store: s}
	for o, name := range opNames {
		t.ops[o] = m.storeOps.WithLabelValues(name)
	}
	if shared, ok := s.(binvault.SharedBinStore); ok {
		return &sharedStore{timedStore: t, shared: shared}
	}
	return t
}

// sharedStore is a timedStore over a store that several servers share:
// the Vault looks for binvault.SharedBinStore on the store it is given, so
// the wrapper has it exactly when the wrapped store does.
type sharedStore struct {
	*timedStore
	shared binvault.SharedBinStore
}

// BinRevs times the wrapped store's BinRevs.
func (s *sharedStore) BinRevs(ctx context.Context, ids []string) (map[string]int64, error) {
	defer s.since(opBinRevs, time.Now())
	return s.shared.BinRevs(ctx, ids)
}

// timedStore times the operations of the Store it embeds. Embedding keeps
// it a Store when the interface grows; TestInstrumentStoreTimesEveryMethod
// fails until the new method is timed here.
type timedStore struct {
	binvault.Store
	ops [numOps]prometheus.Observer
}

// Unwrap returns the store being timed, for callers that look for optional
// methods beyond binvault.Store.
func (s *timedStore) Unwrap() binvault.Store { return s.Store }

// since records the time elapsed since start under o. It is deferred with
// time.Now() evaluated at the call, so it times the whole operation.
func (s *timedStore) since(o op, start time.Time) {
	s.ops[o].Observe(time.Since(start).Seconds())
}

// op numbers the timed operations, so that a misspelt one does not compile.
type op int

const (
	opCreateAccount op = iota
	opFindAccount
	opCountAccounts
	opSetAccountLimits
	opAddRequests
	opRequests
	opHeartbeat
	opCreateKey
	opFindKeyByDigest
	opListKeys
	opRevokeKey
	opTouchKeys
	opCreateBin
	opCountBins
	opFindBin
	opFindBinVersion
	opUpdateBin
	opEditBin
	opUpdateBinMeta
	opDeleteBin
	opDeleteBinVersions
	opCreateCollection
	opFindCollection
	opListCollections
	opUpdateCollection
	opListBins
	opCreateSchemaDoc
	opFindSchemaDoc
	opListSchemaDocs
	opUpdateSchemaDoc
	opAddActivity
	opListActivity
	opActivityDays
	opPruneActivity
	opSetPassword
	opPasswordHash
	opCreateSession
	opFindSession
	opRevokeSession
	opRevokeSessions
	opCreateInvite
	opUseInvite
	opBinRevs // binvault.SharedBinStore, optional
	numOps
)

// opNames are the label values, the Store methods' names.
var opNames = [numOps]string{
	opCreateAccount:     "CreateAccount",
	opFindAccount:       "FindAccount",
	opCountAccounts:     "CountAccounts",
	opSetAccountLimits:  "SetAccountLimits",
	opAddRequests:       "AddRequests",
	opRequests:          "Requests",
	opHeartbeat:         "Heartbeat",
	opCreateKey:         "CreateKey",
	opFindKeyByDigest:   "FindKeyByDigest",
	opListKeys:          "ListKeys",
	opRevokeKey:         "RevokeKey",
	opTouchKeys:         "TouchKeys",
	opCreateBin:         "CreateBin",
	opCountBins:         "CountBins",
	opFindBin:           "FindBin",
	opFindBinVersion:    "FindBinVersion",
	opUpdateBin:         "UpdateBin",
	opEditBin:           "EditBin",
	opUpdateBinMeta:     "UpdateBinMeta",
	opDeleteBin:         "DeleteBin",
	opDeleteBinVersions: "DeleteBinVersions",
	opCreateCollection:  "CreateCollection",
	opFindCollection:    "FindCollection",
	opListCollections:   "ListCollections",
	opUpdateCollection:  "UpdateCollection",
	opListBins:          "ListBins",
	opCreateSchemaDoc:   "CreateSchemaDoc",
	opFindSchemaDoc:     "FindSchemaDoc",
	opListSchemaDocs:    "ListSchemaDocs",
	opUpdateSchemaDoc:   "UpdateSchemaDoc",
	opAddActivity:       "AddActivity",
	opListActivity:      "ListActivity",
	opActivityDays:      "ActivityDays",
	opPruneActivity:     "PruneActivity",
	opSetPassword:       "SetPassword",
	opPasswordHash:      "PasswordHash",
	opCreateSession:     "CreateSession",
	opFindSession:       "FindSession",
	opRevokeSession:     "RevokeSession",
	opRevokeSessions:    "RevokeSessions",
	opCreateInvite:      "CreateInvite",
	opUseInvite:         "UseInvite",
	opBinRevs:           "BinRevs",
}

func (s *timedStore) CreateAccount(ctx context.Context, a *binvault.Account) error {
	defer s.since(opCreateAccount, time.Now())
	return s.Store.CreateAccount(ctx, a)
}

func (s *timedStore) FindAccount(ctx context.Context, ref string) (*binvault.Account, error) {
	defer s.since(opFindAccount, time.Now())
	return s.Store.FindAccount(ctx, ref)
}

func (s *timedStore) CountAccounts(ctx context.Context) (int, error) {
	defer s.since(opCountAccounts, time.Now())
	return s.Store.CountAccounts(ctx)
}

func (s *timedStore) SetAccountLimits(ctx context.Context, accountID string, l binvault.Limits) error {
	defer s.since(opSetAccountLimits, time.Now())
	return s.Store.SetAccountLimits(ctx, accountID, l)
}

func (s *timedStore) AddRequests(ctx context.Context, period string, counts map[string]int64) error {
	defer s.since(opAddRequests, time.Now())
	return s.Store.AddRequests(ctx, period, counts)
}

func (s *timedStore) Requests(ctx context.Context, accountID, period string) (int64, error) {
	defer s.since(opRequests, time.Now())
	return s.Store.Requests(ctx, accountID, period)
}

func (s *timedStore) Heartbeat(ctx context.Context, node string, at time.Time, ttl time.Duration) (int, error) {
	defer s.since(opHeartbeat, time.Now())
	return s.Store.Heartbeat(ctx, node, at, ttl)
}

func (s *timedStore) CreateKey(ctx context.Context, k *binvault.Key, max int) error {
	defer s.since(opCreateKey, time.Now())
	return s.Store.CreateKey(ctx, k, max)
}

func (s *timedStore) FindKeyByDigest(ctx context.Context, digest []byte) (*binvault.Key, error) {
	defer s.since(opFindKeyByDigest, time.Now())
	return s.Store.FindKeyByDigest(ctx, digest)
}

func (s *timedStore) ListKeys(ctx context.Context, accountID string, kind binvault.KeyKind) ([]*binvault.Key, error) {
	defer s.since(opListKeys, time.Now())
	return s.Store.ListKeys(ctx, accountID, kind)
}

func (s *timedStore) RevokeKey(ctx context.Context, accountID, keyID string, at time.Time) error {
	defer s.since(opRevokeKey, time.Now())
	return s.Store.RevokeKey(ctx, accountID, keyID, at)
}

func (s *timedStore) TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error {
	defer s.since(opTouchKeys, time.Now())
	return s.Store.TouchKeys(ctx, lastUsed)
}

func (s *timedStore) CreateBin(ctx context.Context, b *binvault.Bin, maxBins int) error {
	defer s.since(opCreateBin, time.Now())
	return s.Store.CreateBin(ctx, b, maxBins)
}

func (s *timedStore) CountBins(ctx context.Context, accountID string) (int, error) {
	defer s.since(opCountBins, time.Now())
	return s.Store.CountBins(ctx, accountID)
}

func (s *timedStore) FindBin(ctx context.Context, id string) (*binvault.Bin, error) {
	defer s.since(opFindBin, time.Now())
	return s.Store.FindBin(ctx, id)
}

func (s *timedStore) FindBinVersion(ctx context.Context, id string, version int) ([]byte, error) {
	defer s.since(opFindBinVersion, time.Now())
	return s.Store.FindBinVersion(ctx, id, version)
}

func (s *timedStore) UpdateBin(ctx context.Context, u binvault.BinUpdate) (*binvault.Bin, error) {
	defer s.since(opUpdateBin, time.Now())
	return s.Store.UpdateBin(ctx, u)
}

func (s *timedStore) EditBin(ctx context.Context, id string, at time.Time, edit binvault.BinEdit) (*binvault.Bin, error) {
	defer s.since(opEditBin, time.Now())
	return s.Store.EditBin(ctx, id, at, edit)
}

func (s *timedStore) UpdateBinMeta(ctx context.Context, id string, m binvault.BinMeta) (*binvault.Bin, error) {
	defer s.since(opUpdateBinMeta, time.Now())
	return s.Store.UpdateBinMeta(ctx, id, m)
}

func (s *timedStore) DeleteBin(ctx context.Context, id string, ifRev int64) (int, error) {
	defer s.since(opDeleteBin, time.Now())
	return s.Store.DeleteBin(ctx, id, ifRev)
}

func (s *timedStore) DeleteBinVersions(ctx context.Context, id string, preserveLatest bool) (int, *binvault.Bin, error) {
	defer s.since(opDeleteBinVersions, time.Now())
	return s.Store.DeleteBinVersions(ctx, id, preserveLatest)
}

func (s *timedStore) CreateCollection(ctx context.Context, c *binvault.Collection, max int) error {
	defer s.since(opCreateCollection, time.Now())
	return s.Store.CreateCollection(ctx, c, max)
}

func (s *timedStore) FindCollection(ctx context.Context, id string) (*binvault.Collection, error) {
	defer s.since(opFindCollection, time.Now())
	return s.Store.FindCollection(ctx, id)
}

func (s *timedStore) ListCollections(ctx context.Context, accountID string) ([]*binvault.Collection, error) {
	defer s.since(opListCollections, time.Now())
	return s.Store.ListCollections(ctx, accountID)
}

func (s *timedStore) UpdateCollection(ctx context.Context, c *binvault.Collection) error {
	defer s.since(opUpdateCollection, time.Now())
	return s.Store.UpdateCollection(ctx, c)
}

func (s *timedStore) ListBins(ctx context.Context, p binvault.BinPage) ([]*binvault.Bin, error) {
	defer s.since(opListBins, time.Now())
	return s.Store.ListBins(ctx, p)
}

func (s *timedStore) CreateSchemaDoc(ctx context.Context, d *binvault.SchemaDoc) error {
	defer s.since(opCreateSchemaDoc, time.Now())
	return s.Store.CreateSchemaDoc(ctx, d)
}

func (s *timedStore) FindSchemaDoc(ctx context.Context, id string) (*binvault.SchemaDoc, error) {
	defer s.since(opFindSchemaDoc, time.Now())
	return s.Store.FindSchemaDoc(ctx, id)
}

func (s *timedStore) ListSchemaDocs(ctx context.Context, accountID string) ([]*binvault.SchemaDoc, error) {
	defer s.since(opListSchemaDocs, time.Now())
	return s.Store.ListSchemaDocs(ctx, accountID)
}

func (s *timedStore) UpdateSchemaDoc(ctx context.Context, d *binvault.SchemaDoc) error {
	defer s.since(opUpdateSchemaDoc, time.Now())
	return s.Store.UpdateSchemaDoc(ctx, d)
}

func (s *timedStore) AddActivity(ctx context.Context, entries []binvault.Activity) error {
	defer s.since(opAddActivity, time.Now())
	return s.Store.AddActivity(ctx, entries)
}

func (s *timedStore) ListActivity(ctx context.Context, f binvault.ActivityFilter) ([]binvault.Activity, error) {
	defer s.since(opListActivity, time.Now())
	return s.Store.ListActivity(ctx, f)
}

func (s *timedStore) ActivityDays(ctx context.Context, accountID string) ([]time.Time, error) {
	defer s.since(opActivityDays, time.Now())
	return s.Store.ActivityDays(ctx, accountID)
}

func (s *timedStore) PruneActivity(ctx context.Context, before time.Time) (int, error) {
	defer s.since(opPruneActivity, time.Now())
	return s.Store.PruneActivity(ctx, before)
}

func (s *timedStore) SetPassword(ctx context.Context, accountID, hash string) error {
	defer s.since(opSetPassword, time.Now())
	return s.Store.SetPassword(ctx, accountID, hash)
}

func (s *timedStore) PasswordHash(ctx context.Context, accountID string) (string, error) {
	defer s.since(opPasswordHash, time.Now())
	return s.Store.PasswordHash(ctx, accountID)
}

func (s *timedStore) CreateSession(ctx context.Context, sess *binvault.Session) error {
	defer s.since(opCreateSession, time.Now())
	return s.Store.CreateSession(ctx, sess)
}

func (s *timedStore) FindSession(ctx context.Context, digest []byte, now time.Time) (*binvault.Session, error) {
	defer s.since(opFindSession, time.Now())
	return s.Store.FindSession(ctx, digest, now)
}

func (s *timedStore) RevokeSession(ctx context.Context, id string) error {
	defer s.since(opRevokeSession, time.Now())
	return s.Store.RevokeSession(ctx, id)
}

func (s *timedStore) RevokeSessions(ctx context.Context, accountID string) (int, error) {
	defer s.since(opRevokeSessions, time.Now())
	return s.Store.RevokeSessions(ctx, accountID)
}

func (s *timedStore) CreateInvite(ctx context.Context, digest []byte, expires time.Time) error {
	defer s.since(opCreateInvite, time.Now())
	return s.Store.CreateInvite(ctx, digest, expires)
}

func (s *timedStore) UseInvite(ctx context.Context, digest []byte, now time.Time) error {
	defer s.since(opUseInvite, time.Now())
	return s.Store.UseInvite(ctx, digest, now)
}
