package httpdo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Client is the HTTP client of uploads and index reads when the caller
// gives none: every phase has a timeout (connect 30s, TLS 15s, the answer
// 2 minutes after the request was sent, 30 minutes in all for a large
// upload), so a stalled server fails the step instead of hanging the run.
var Client = &http.Client{
	Timeout: 30 * time.Minute,
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	},
}

// Retry says how often and how long to retry. Zero fields take the
// defaults: 4 attempts in all, backoff from 500ms doubling up to 30s with
// jitter, a server's Retry-After honoured up to 2 minutes (a longer one
// ends the retries).
type Retry struct {
	Attempts      int
	Base, Max     time.Duration
	MaxRetryAfter time.Duration
	// Sleep waits d or until ctx ends; tests replace it to record the
	// waits instead of sleeping.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Resend says whether a request may be sent again after an attempt that
// failed with a connection error, a 5xx or a 429. nil never resends.
// Idempotent requests (a GET, a PUT of the same bytes to the same URL)
// pass Always; a request that creates something (npm's publish, PyPI's
// upload POST) passes a check that asks the server whether the earlier
// attempt took effect: it returns ErrTookEffect when it did, true when the
// server does not have it, false or an error to stop.
type Resend func(ctx context.Context) (bool, error)

// Always resends: for idempotent requests.
func Always(context.Context) (bool, error) { return true, nil }

// ErrTookEffect is what a Resend check returns when the server already
// has what an earlier attempt sent; Do then returns it, and the caller
// counts the request as done.
var ErrTookEffect = errors.New("an earlier attempt reached the server")

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 4
	}
	if r.Base <= 0 {
		r.Base = 500 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 30 * time.Second
	}
	if r.MaxRetryAfter <= 0 {
		r.MaxRetryAfter = 2 * time.Minute
	}
	if r.Sleep == nil {
		r.Sleep = sleep
	}
	return r
}

// Do sends req with client (nil: Client) and, when resend allows it,
// sends it again after a connection error, a 429 or a 5xx other than 501,
// waiting the server's Retry-After or else an exponential backoff. A body
// is replayed with req.GetBody (set by http.NewRequest for in-memory
// bodies); a request whose body cannot be replayed is sent once. The last
// answer or error is returned; an error says how many attempts were made.
func (r Retry) Do(client *http.Client, req *http.Request, resend Resend) (*http.Response, error) {
	r = r.withDefaults()
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		resp, err := Do(client, req)
		if !retryable(resp, err) || resend == nil || attempt == r.Attempts || req.Body != nil && req.GetBody == nil || ctx.Err() != nil {
			if err != nil && attempt > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt)
			}
			return resp, err
		}
		wait := r.backoff(attempt)
		if resp != nil {
			after, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now())
			if ok && after > r.MaxRetryAfter {
				return resp, nil // the server asks for more patience than a run has
			}
			if ok {
				wait = after
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if err := r.Sleep(ctx, wait); err != nil {
			return nil, err
		}
		again, cerr := resend(ctx)
		if cerr != nil || !again {
			if cerr == nil {
				cerr = fmt.Errorf("not sent again after attempt %d failed", attempt)
			}
			return nil, cerr
		}
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
	}
}

// retryable: a connection error (not the caller's cancellation), 408, 429,
// or a 5xx other than 501 Not Implemented.
func retryable(resp *http.Response, err error) bool {
	if err != nil {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch c := resp.StatusCode; {
	case c == http.StatusRequestTimeout, c == http.StatusTooManyRequests:
		return true
	case c >= 500 && c != http.StatusNotImplemented:
		return true
	}
	return false
}

// backoff is the wait before attempt+1: Base doubled per attempt, capped
// at Max, the upper half of it chosen at random.
func (r Retry) backoff(attempt int) time.Duration {
	d := r.Base << (attempt - 1)
	if d > r.Max || d <= 0 {
		d = r.Max
	}
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
