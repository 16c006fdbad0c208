package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/binvault/binvault"
)

const collectionColumns = `id, account_id, name, schema_doc_id, created_at`

// CreateCollection implements binvault.CollectionStore. The limit is counted
// inside the write transaction.
func (s *Store) CreateCollection(ctx context.Context, c *binvault.Collection, max int) error {
	return s.writer.do(ctx, func(ctx context.Context, q querier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO collections (`+collectionColumns+`)
			SELECT ?1, ?2, ?3, ?4, ?5
			WHERE ?6 <= 0 OR (SELECT count(*) FROM collections WHERE account_id = ?2) < ?6`,
			c.ID, c.AccountID, c.Name, c.SchemaDocID, millis(c.CreatedAt), max)
		if err != nil {
			return conflict(err, "collection")
		} else if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return binvault.Errorf(binvault.EFORBIDDEN, "account %s has %d collections", c.AccountID, max)
		}
		return nil
	})
}

// FindCollection implements binvault.CollectionStore.
func (s *Store) FindCollection(ctx context.Context, id string) (*binvault.Collection, error) {
	c, err := scanCollection(s.read.QueryRowContext(ctx, `SELECT `+collectionColumns+` FROM collections WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("collection", id)
	}
	return c, err
}

// ListCollections implements binvault.CollectionStore.
func (s *Store) ListCollections(ctx context.Context, accountID string) ([]*binvault.Collection, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+collectionColumns+` FROM collections
		WHERE account_id = ? ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*binvault.Collection
	for rows.Next() {
		c, err := scanCollection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UpdateCollection implements binvault.CollectionStore.
func (s *Store) UpdateCollection(ctx context.Context, c *binvault.Collection) error {
	err := s.writer.do(ctx, func(ctx context.Context, q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE collections SET name = ?, schema_doc_id = ? WHERE id = ?`, c.Name, c.SchemaDocID, c.ID)
		return affected(res, err, "collection", c.ID)
	})
	if err != nil {
		return err
	}
	return s.epoch.bump()
}

// ListBins implements binvault.CollectionStore. Paging by id, exclusive of
// the cursor, returns every bin that exists throughout a walk exactly once,
// whatever is created or deleted meanwhile.
func (s *Store) ListBins(ctx context.Context, p binvault.BinPage) ([]*binvault.Bin, error) {
	cmp, order := "<", "DESC"
	if p.Ascending {
		cmp, order = ">", "ASC"
	}
	cursor := p.After
	if cursor == "" && !p.Ascending {
		cursor = "~" // sorts after every hex id
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+binMetaColumns+`, length(record) FROM bins
		WHERE account_id = ?1 AND collection_id = ?2 AND id `+cmp+` ?3
			AND (?4 = '' OR instr(lower(name), lower(?4)) > 0)
		ORDER BY id `+order+` LIMIT ?5 OFFSET ?6`, p.AccountID, p.CollectionID, cursor, p.NameContains, p.Limit, p.Offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*binvault.Bin
	for rows.Next() {
		var b binvault.Bin
		if _, err := scanInto(rows, &b, &b.Size); err != nil {
			return nil, err
		}
		out = append(out, &b)
	}
	return out, rows.Err()
}

const schemaColumns = `id, account_id, name, schema, rev, created_at`

// CreateSchemaDoc implements binvault.CollectionStore.
func (s *Store) CreateSchemaDoc(ctx context.Context, d *binvault.SchemaDoc) error {
	return s.writer.do(ctx, func(ctx context.Context, q querier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO schema_docs (id, account_id, name, schema, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING rev`, d.ID, d.AccountID, d.Name, d.Schema, millis(d.CreatedAt)).Scan(&d.Rev)
		return conflict(err, "schema doc")
	})
}

// FindSchemaDoc implements binvault.CollectionStore.
func (s *Store) FindSchemaDoc(ctx context.Context, id string) (*binvault.SchemaDoc, error) {
	var d binvault.SchemaDoc
	var created int64
	err := s.read.QueryRowContext(ctx, `SELECT `+schemaColumns+` FROM schema_docs WHERE id = ?`, id).
		Scan(&d.ID, &d.AccountID, &d.Name, &d.Schema, &d.Rev, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("schema doc", id)
	} else if err != nil {
		return nil, err
	}
	d.CreatedAt = fromMillis(created)
	return &d, nil
}

// ListSchemaDocs implements binvault.CollectionStore.
func (s *Store) ListSchemaDocs(ctx context.Context, accountID string) ([]*binvault.SchemaDoc, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+schemaColumns+` FROM schema_docs WHERE account_id = ? ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*binvault.SchemaDoc
	for rows.Next() {
		var d binvault.SchemaDoc
		var created int64
		if err := rows.Scan(&d.ID, &d.AccountID, &d.Name, &d.Schema, &d.Rev, &created); err != nil {
			return nil, err
		}
		d.CreatedAt = fromMillis(created)
		out = append(out, &d)
	}
	return out, rows.Err()
}

// UpdateSchemaDoc implements binvault.CollectionStore.
func (s *Store) UpdateSchemaDoc(ctx context.Context, d *binvault.SchemaDoc) error {
	if err := s.updateSchemaDoc(ctx, d); err != nil {
		return err
	}
	return s.epoch.bump()
}

func (s *Store) updateSchemaDoc(ctx context.Context, d *binvault.SchemaDoc) error {
	return s.writer.do(ctx, func(ctx context.Context, q querier) error {
		err := q.QueryRowContext(ctx, `UPDATE schema_docs SET name = ?1, schema = ?2,
			rev = rev + (schema IS NOT ?2) WHERE id = ?3 RETURNING rev`, d.Name, d.Schema, d.ID).Scan(&d.Rev)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("schema doc", d.ID)
		}
		return err
	})
}

func scanCollection(row scanner) (*binvault.Collection, error) {
	var c binvault.Collection
	var created int64
	if err := row.Scan(&c.ID, &c.AccountID, &c.Name, &c.SchemaDocID, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = fromMillis(created)
	return &c, nil
}

// affected turns an UPDATE that matched no row into ENOTFOUND.
func affected(res sql.Result, err error, what, id string) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return notFound(what, id)
	}
	return nil
}
