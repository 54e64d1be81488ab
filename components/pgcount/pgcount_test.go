package pgcount

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// open connects to the database that DATABASE_URL names: in the pipeline,
// the db test service (component.yaml); natively, the PostgreSQL that
// components/components_test.go starts. Without it the test skips.
func open(t *testing.T) *Counter {
	t.Helper()
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		t.Skip("DATABASE_URL is not set: no PostgreSQL to test against (monopipe binds the db test service; components/components_test.go starts a local one)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Open(ctx, url)
	if err != nil {
		t.Fatalf("DATABASE_URL is set, but: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestHitAndCount(t *testing.T) {
	c := open(t)
	ctx := context.Background()
	key := fmt.Sprintf("page-%d", time.Now().UnixNano()) // fresh on a database kept between runs
	if n, err := c.Count(ctx, key); err != nil || n != 0 {
		t.Fatalf("Count before any hit = %d, %v; want 0", n, err)
	}
	for want := int64(1); want <= 3; want++ {
		if n, err := c.Hit(ctx, key); err != nil || n != want {
			t.Fatalf("Hit #%d = %d, %v", want, n, err)
		}
	}
	if n, err := c.Count(ctx, key); err != nil || n != 3 {
		t.Errorf("Count = %d, %v; want 3", n, err)
	}
}

// TestConcurrentHits: the upsert counts every hit of concurrent clients.
func TestConcurrentHits(t *testing.T) {
	c := open(t)
	ctx := context.Background()
	key := fmt.Sprintf("busy-%d", time.Now().UnixNano())
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Hit(ctx, key); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, err := c.Count(ctx, key); err != nil || n != 20 {
		t.Errorf("Count after 20 concurrent hits = %d, %v", n, err)
	}
}

func TestEmptyKey(t *testing.T) {
	c := &Counter{} // no database: the key is checked first
	if _, err := c.Hit(context.Background(), ""); !errors.Is(err, ErrEmptyKey) {
		t.Errorf("Hit(\"\") = %v, want ErrEmptyKey", err)
	}
	if _, err := c.Count(context.Background(), ""); !errors.Is(err, ErrEmptyKey) {
		t.Errorf("Count(\"\") = %v, want ErrEmptyKey", err)
	}
}
