package client_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/binvault/binvault/client"
)

// TestCollectionsAndSchemaDocs walks the collection and schema-doc routes:
// a schema attached to a collection validates its bins, and pages of a
// collection's bins follow the After cursor.
func TestCollectionsAndSchemaDocs(t *testing.T) {
	s := MustServer(t)
	ctx := t.Context()
	const userSchema = `{"type":"object","required":["username"]}`
	doc, err := s.Admin.CreateSchemaDoc(ctx, "User", []byte(userSchema))
	if err != nil || string(doc.Record) != userSchema || doc.Metadata.Name != "User" || !idPattern.MatchString(doc.Metadata.ID) {
		t.Fatalf("CreateSchemaDoc = %+v, %v", doc, err)
	}
	const strict = `{"type":"object","required":["username","age"]}`
	if d, err := s.Admin.UpdateSchemaDoc(ctx, doc.Metadata.ID, []byte(strict)); err != nil || string(d.Record) != strict {
		t.Errorf("UpdateSchemaDoc = %+v, %v; want record %s", d, err, strict)
	}
	if d, err := s.Admin.RenameSchemaDoc(ctx, doc.Metadata.ID, "Member"); err != nil || d.Metadata.Name != "Member" {
		t.Errorf("RenameSchemaDoc = %+v, %v; want name Member", d, err)
	}
	if d, err := s.Admin.ReadSchemaDoc(ctx, doc.Metadata.ID); err != nil || string(d.Record) != strict || d.Metadata.Name != "Member" {
		t.Errorf("ReadSchemaDoc = %+v, %v; want the updated, renamed doc", d, err)
	}

	coll, err := s.Admin.CreateCollection(ctx, "members")
	if err != nil || !idPattern.MatchString(coll.Record) || coll.Metadata.Name != "members" {
		t.Fatalf("CreateCollection = %+v, %v", coll, err)
	}
	if r, err := s.Admin.RenameCollection(ctx, coll.Record, "people"); err != nil || r.Record != coll.Record || r.Metadata.Name != "people" {
		t.Errorf("RenameCollection = %+v, %v; want name people", r, err)
	}
	att, err := s.Admin.AttachSchemaDoc(ctx, coll.Record, doc.Metadata.ID)
	if err != nil || att.CollectionName != "people" || att.SchemaDocID != doc.Metadata.ID || att.Metadata.ID != coll.Record {
		t.Fatalf("AttachSchemaDoc = %+v, %v", att, err)
	}
	if cs, err := s.Admin.ListCollections(ctx); err != nil || len(cs) != 1 || cs[0].Record != coll.Record || cs[0].CollectionMeta.Name != "people" || cs[0].SchemaDocID != doc.Metadata.ID {
		t.Errorf("ListCollections = %+v, %v; want the one collection with its schema doc", cs, err)
	}

	_, err = s.Admin.CreateBin(ctx, []byte(`{"username":"ada"}`), client.CreateBinOptions{CollectionID: coll.Record})
	e := MustAPIError(t, err, http.StatusBadRequest, "Schema Doc Validation Mismatch:  must have required property 'age'")
	var extra struct{ SchemaDocID, SchemaDocName string }
	if json.Unmarshal(e.Body, &extra) != nil || extra.SchemaDocID != doc.Metadata.ID || extra.SchemaDocName != "Member" {
		t.Errorf("schema mismatch body %s; want schemaDocID and schemaDocName", e.Body)
	}

	var ids []string
	for i := range 12 {
		ids = append(ids, MustCreate(t, s.Admin, fmt.Sprintf(`{"username":"u%d","age":%d}`, i, i), client.CreateBinOptions{CollectionID: coll.Record}).Metadata.ID)
	}
	var paged []string
	for after := ""; ; {
		page, err := s.Admin.CollectionBins(ctx, coll.Record, client.CollectionBinsOptions{After: after, Ascending: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page {
			paged = append(paged, b.Record)
		}
		if len(page) < 10 {
			break
		}
		after = page[len(page)-1].Record
	}
	if fmt.Sprint(paged) != fmt.Sprint(ids) {
		t.Errorf("paging ascending gave %v; want %v", paged, ids)
	}
	if newest, err := s.Admin.CollectionBins(ctx, coll.Record, client.CollectionBinsOptions{}); err != nil || len(newest) != 10 || newest[0].Record != ids[11] {
		t.Errorf("first page, newest first = %d bins starting %v (%v); want 10 starting %s", len(newest), newest, err, ids[11])
	}
	loose := MustCreate(t, s.Admin, `{"loose":true}`, client.CreateBinOptions{Name: "loose"}).Metadata.ID
	if un, err := s.Admin.CollectionBins(ctx, client.Uncategorized, client.CollectionBinsOptions{}); err != nil || len(un) != 1 || un[0].Record != loose || un[0].SnippetMeta.Name != "loose" {
		t.Errorf("uncategorized bins = %+v, %v; want only %s named loose", un, err, loose)
	}

	if d, err := s.Admin.DetachSchemaDoc(ctx, coll.Record); err != nil || d.SchemaDocID != doc.Metadata.ID {
		t.Fatalf("DetachSchemaDoc = %+v, %v", d, err)
	}
	if _, err := s.Admin.CreateBin(ctx, []byte(`{"no":"schema"}`), client.CreateBinOptions{CollectionID: coll.Record}); err != nil {
		t.Errorf("create after detaching the schema: %v", err)
	}
	_, err = s.Admin.ReadSchemaDoc(ctx, "0123456789abcdef01234567")
	MustAPIError(t, err, http.StatusNotFound, "Schema Doc not found")
}
