package detect

import (
	"sync"
	"sync/atomic"
)

// walkQueue hands folders to a fixed pool of goroutines. Each goroutine
// walks depth first on its own and gives half of its pending folders (the
// shallowest, so the largest subtrees) back to the queue only when
// another goroutine is idle, so that goroutines rarely wait or wake.
type walkQueue struct {
	mu      sync.Mutex
	cond    sync.Cond
	tasks   []dirTask
	workers int
	waiting int
	done    bool
	hungry  atomic.Bool
}

func newWalkQueue(workers int, root dirTask) *walkQueue {
	q := &walkQueue{tasks: []dirTask{root}, workers: workers}
	q.cond.L = &q.mu
	return q
}

// get takes a folder, waiting while others may still queue some; false
// means the walk is over.
func (q *walkQueue) get() (dirTask, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.tasks) == 0 && !q.done {
		q.waiting++
		if q.waiting == q.workers {
			q.done = true
			q.cond.Broadcast()
			break
		}
		q.hungry.Store(true)
		q.cond.Wait()
		q.waiting--
	}
	if len(q.tasks) == 0 {
		return dirTask{}, false
	}
	t := q.tasks[len(q.tasks)-1]
	q.tasks = q.tasks[:len(q.tasks)-1]
	q.hungry.Store(q.waiting > 0)
	return t, true
}

// share moves the older half of local to the queue when a goroutine is
// idle, and returns what stays.
func (q *walkQueue) share(local []dirTask) []dirTask {
	if len(local) < 2 || !q.hungry.Load() {
		return local
	}
	n := len(local) / 2
	q.mu.Lock()
	q.tasks = append(q.tasks, local[:n]...)
	q.hungry.Store(false)
	q.mu.Unlock()
	q.cond.Broadcast()
	return append(local[:0], local[n:]...)
}
