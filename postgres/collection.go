package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/binvault/binvault"
)

const collectionColumns = `id, account_id, name, schema_doc_id, created_at`

// sqlInsertCollectionLimited inserts only while the account has fewer than
// $6 collections; run after sqlLockAccount.
const sqlInsertCollectionLimited = `INSERT INTO collections (` + collectionColumns + `)
	SELECT $1, $2, $3, $4, $5
	WHERE (SELECT count(*) FROM collections WHERE account_id = $2) < $6`

// CreateCollection implements binvault.CollectionStore. With a limit, the
// account's row lock and the counting insert go in one round trip as one
// transaction.
func (s *Store) CreateCollection(ctx context.Context, c *binvault.Collection, max int) error {
	args := []any{c.ID, c.AccountID, c.Name, c.SchemaDocID, ms(c.CreatedAt)}
	return s.insertUnderLimit(ctx, c.AccountID, `INSERT INTO collections (`+collectionColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		sqlInsertCollectionLimited, args, max, "collections")
}

// FindCollection implements binvault.CollectionStore.
func (s *Store) FindCollection(ctx context.Context, id string) (*binvault.Collection, error) {
	var c *binvault.Collection
	err := s.run(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		var err error
		c, err = scanCollection(conn.QueryRow(ctx, `SELECT `+collectionColumns+` FROM collections WHERE id = $1`, id))
		return noRows(err, notFound("collection", id))
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ListCollections implements binvault.CollectionStore.
func (s *Store) ListCollections(ctx context.Context, accountID string) ([]*binvault.Collection, error) {
	var list []*binvault.Collection
	err := s.run(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		rows, err := conn.Query(ctx, `SELECT `+collectionColumns+` FROM collections
			WHERE account_id = $1 ORDER BY created_at, id`, accountID)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*binvault.Collection, error) { return scanCollection(r) })
		return err
	})
	return list, err
}

// UpdateCollection implements binvault.CollectionStore. Every node's
// AuthVersion moves when it commits.
func (s *Store) UpdateCollection(ctx context.Context, c *binvault.Collection) error {
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE collections SET name = $1, schema_doc_id = $2 WHERE id = $3`, c.Name, c.SchemaDocID, c.ID)
		if err != nil {
			return err
		} else if tag.RowsAffected() == 0 {
			return notFound("collection", c.ID)
		}
		return notifyAuth(ctx, tx)
	})
	if err == nil {
		s.auth.bump()
	}
	return err
}

// ListBins implements binvault.CollectionStore: keyset pages by id,
// exclusive of the cursor, so a walk meets every bin that exists
// throughout it exactly once, whatever is created or deleted meanwhile.
// Offset skips bins after the cursor (the older page-number form).
func (s *Store) ListBins(ctx context.Context, p binvault.BinPage) ([]*binvault.Bin, error) {
	query := `SELECT ` + binMetaColumns + `, octet_length(record) FROM bins WHERE account_id = $1 AND collection_id = $2
		AND ($5 = '' OR strpos(lower(name), lower($5)) > 0)`
	args := []any{p.AccountID, p.CollectionID, p.Limit, p.Offset, p.NameContains}
	if p.After != "" {
		cmp := "<"
		if p.Ascending {
			cmp = ">"
		}
		args = append(args, p.After)
		query += ` AND id ` + cmp + ` $` + strconv.Itoa(len(args))
	}
	if p.Ascending {
		query += ` ORDER BY id ASC LIMIT $3 OFFSET $4`
	} else {
		query += ` ORDER BY id DESC LIMIT $3 OFFSET $4`
	}
	var list []*binvault.Bin
	err := s.run(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		rows, err := conn.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*binvault.Bin, error) {
			var b binvault.Bin
			return scanInto(r, &b, &b.Size)
		})
		return err
	})
	return list, err
}

const schemaColumns = `id, account_id, name, schema, rev, created_at`

// CreateSchemaDoc implements binvault.CollectionStore.
func (s *Store) CreateSchemaDoc(ctx context.Context, d *binvault.SchemaDoc) error {
	return s.run(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		err := conn.QueryRow(ctx, `INSERT INTO schema_docs (id, account_id, name, schema, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING rev`, d.ID, d.AccountID, d.Name, d.Schema, ms(d.CreatedAt)).Scan(&d.Rev)
		return conflict(err, "schema doc")
	})
}

// FindSchemaDoc implements binvault.CollectionStore.
func (s *Store) FindSchemaDoc(ctx context.Context, id string) (*binvault.SchemaDoc, error) {
	var d binvault.SchemaDoc
	err := s.run(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		err := conn.QueryRow(ctx, `SELECT `+schemaColumns+` FROM schema_docs WHERE id = $1`, id).
			Scan(&d.ID, &d.AccountID, &d.Name, &d.Schema, &d.Rev, &d.CreatedAt)
		return noRows(err, notFound("schema doc", id))
	})
	if err != nil {
		return nil, err
	}
	d.CreatedAt = d.CreatedAt.UTC()
	return &d, nil
}

// ListSchemaDocs implements binvault.CollectionStore.
func (s *Store) ListSchemaDocs(ctx context.Context, accountID string) ([]*binvault.SchemaDoc, error) {
	var list []*binvault.SchemaDoc
	err := s.run(ctx, func(ctx context.Context, conn *pgxpool.Conn) error {
		rows, err := conn.Query(ctx, `SELECT `+schemaColumns+` FROM schema_docs WHERE account_id = $1 ORDER BY created_at, id`, accountID)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*binvault.SchemaDoc, error) {
			var d binvault.SchemaDoc
			err := r.Scan(&d.ID, &d.AccountID, &d.Name, &d.Schema, &d.Rev, &d.CreatedAt)
			d.CreatedAt = d.CreatedAt.UTC()
			return &d, err
		})
		return err
	})
	return list, err
}

// UpdateSchemaDoc implements binvault.CollectionStore: Rev moves only when
// the schema's bytes change, and every node's AuthVersion moves when it
// commits.
func (s *Store) UpdateSchemaDoc(ctx context.Context, d *binvault.SchemaDoc) error {
	var rev int64
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE schema_docs SET name = $1, schema = $2,
			rev = rev + CASE WHEN schema IS DISTINCT FROM $2 THEN 1 ELSE 0 END
			WHERE id = $3 RETURNING rev`, d.Name, d.Schema, d.ID).Scan(&rev)
		if err != nil {
			return noRows(err, notFound("schema doc", d.ID))
		}
		return notifyAuth(ctx, tx)
	})
	if err != nil {
		return err
	}
	d.Rev = rev
	s.auth.bump()
	return nil
}

func scanCollection(row scanner) (*binvault.Collection, error) {
	var c binvault.Collection
	if err := row.Scan(&c.ID, &c.AccountID, &c.Name, &c.SchemaDocID, &c.CreatedAt); err != nil {
		return nil, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return &c, nil
}
