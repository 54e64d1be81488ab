// Package pgcount counts hits per key in a PostgreSQL table: the example
// monorepo's component whose integration test needs a database, which
// monopipe starts beside the test as a test service (component.yaml's
// test.services).
package pgcount

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	_ "github.com/lib/pq" // the "postgres" driver, pure Go
)

// Counter counts hits in the table hits of a PostgreSQL database.
type Counter struct {
	db *sql.DB
}

// Open connects to the database at url (postgres://user:password@host:port/db)
// and creates the hits table when it is missing.
func Open(ctx context.Context, url string) (*Counter, error) {
	db, err := sql.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS hits (key text PRIMARY KEY, n bigint NOT NULL)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("create table hits: %w", err)
	}
	return &Counter{db: db}, nil
}

// ErrEmptyKey is Hit's and Count's error for an empty key.
var ErrEmptyKey = errors.New("pgcount: empty key")

// Hit adds one to key's count and returns the new count.
func (c *Counter) Hit(ctx context.Context, key string) (int64, error) {
	if key == "" {
		return 0, ErrEmptyKey
	}
	var n int64
	err := c.db.QueryRowContext(ctx,
		`INSERT INTO hits (key, n) VALUES ($1, 1)
		 ON CONFLICT (key) DO UPDATE SET n = hits.n + 1
		 RETURNING n`, key).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("hit %q: %w", key, err)
	}
	return n, nil
}

// Count is key's count (0 for a key never hit).
func (c *Counter) Count(ctx context.Context, key string) (int64, error) {
	if key == "" {
		return 0, ErrEmptyKey
	}
	var n int64
	err := c.db.QueryRowContext(ctx, `SELECT n FROM hits WHERE key = $1`, key).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("count %q: %w", key, err)
	}
	return n, nil
}

// Close closes the database connection.
func (c *Counter) Close() error { return c.db.Close() }
