package run

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
)

func comp(name string, deps ...string) plan.Component {
	return plan.Component{Name: name, Kind: "go", Dir: "components/" + name, DependsOn: deps}
}

// behaviour is what a fake step does for one component: "ok", "cached",
// "fail", "skip", "unknown".
type fake struct {
	mu     sync.Mutex
	events []string
	do     map[string]string // "component/step" → behaviour; default "ok"
}

func (f *fake) steps(names ...string) []Step {
	var out []Step
	for _, n := range names {
		out = append(out, Step{Name: n, Run: func(ctx context.Context, c plan.Component) (Outcome, error) {
			f.record("start " + c.Name + "/" + n)
			defer f.record("end " + c.Name + "/" + n)
			switch f.do[c.Name+"/"+n] {
			case "cached":
				return Outcome{Output: "cached output", Cached: true}, nil
			case "fail":
				lines := make([]string, 50)
				for i := range lines {
					lines[i] = fmt.Sprintf("line %d", i+1)
				}
				return Outcome{Output: strings.Join(lines, "\n")}, errors.New("exit code 1")
			case "skip":
				return Outcome{Skipped: "no test configured"}, nil
			case "panic":
				panic("boom")
			case "unknown":
				return Outcome{CacheUnknown: true, Artifacts: []string{"img@sha256:1"}}, nil
			}
			return Outcome{Output: c.Name + " " + n + " ok\n"}, nil
		}})
	}
	return out
}

func (f *fake) record(e string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, e)
}

func (f *fake) index(e string) int {
	for i, x := range f.events {
		if x == e {
			return i
		}
	}
	return -1
}

type stepWant struct {
	status report.Status
	cached bool
	err    string
}

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		comps   []plan.Component
		do      map[string]string
		want    map[string]report.Status
		cached  map[string]bool
		steps   map[string][]stepWant
		errHas  []string
		errNot  []string
		noError bool
	}{
		{
			name:    "all succeed",
			comps:   []plan.Component{comp("lib"), comp("svc", "lib"), comp("web")},
			want:    map[string]report.Status{"lib": "success", "svc": "success", "web": "success"},
			cached:  map[string]bool{"lib": false, "svc": false, "web": false},
			noError: true,
		},
		{
			name:  "failure skips dependents transitively and not independents",
			comps: []plan.Component{comp("lib"), comp("other"), comp("svc", "lib"), comp("app", "svc", "other")},
			do:    map[string]string{"lib/test": "fail"},
			want:  map[string]report.Status{"lib": "failure", "other": "success", "svc": "skipped", "app": "skipped"},
			steps: map[string][]stepWant{
				"lib": {{status: "success"}, {status: "failure", err: "exit code 1"}},
				"svc": {{status: "skipped", err: "dependency lib failed"}, {status: "skipped", err: "dependency lib failed"}},
				"app": {{status: "skipped", err: "dependency svc was skipped: dependency lib failed"}, {status: "skipped", err: "dependency svc was skipped: dependency lib failed"}},
			},
			errHas: []string{"1 component(s) failed: lib", "lib: test failed: exit code 1", "    line 11\n", "    line 50"},
			errNot: []string{"line 10\n", "svc", "other"},
		},
		{
			name:  "failed build skips the component's later steps",
			comps: []plan.Component{comp("a"), comp("b")},
			do:    map[string]string{"a/build": "fail", "b/build": "fail"},
			want:  map[string]report.Status{"a": "failure", "b": "failure"},
			steps: map[string][]stepWant{
				"a": {{status: "failure", err: "exit code 1"}, {status: "skipped", err: "build failed"}},
			},
			errHas: []string{"2 component(s) failed: a, b", "a: build failed: exit code 1", "b: build failed: exit code 1"},
		},
		{
			name:    "cached only when every step that ran was cached",
			comps:   []plan.Component{comp("a"), comp("b"), comp("c"), comp("d")},
			do:      map[string]string{"a/build": "cached", "a/test": "cached", "b/build": "cached", "c/build": "cached", "c/test": "skip", "d/build": "unknown", "d/test": "cached"},
			want:    map[string]report.Status{"a": "success", "b": "success", "c": "success", "d": "success"},
			cached:  map[string]bool{"a": true, "b": false, "c": true, "d": false},
			steps:   map[string][]stepWant{"c": {{status: "success", cached: true}, {status: "skipped", err: "no test configured"}}},
			noError: true,
		},
		{
			name:   "a panicking step fails its component only",
			comps:  []plan.Component{comp("a"), comp("b")},
			do:     map[string]string{"a/build": "panic"},
			want:   map[string]report.Status{"a": "failure", "b": "success"},
			steps:  map[string][]stepWant{"a": {{status: "failure", err: "panic: boom"}, {status: "skipped", err: "build failed"}}},
			errHas: []string{"a: build failed: panic: boom"},
		},
		{
			name:    "dependencies outside the run are taken as built",
			comps:   []plan.Component{comp("svc", "lib")},
			want:    map[string]report.Status{"svc": "success"},
			noError: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fake{do: tt.do}
			res, err := Run(context.Background(), tt.comps, Options{Steps: f.steps("build", "test"), Concurrency: 2})
			if tt.noError != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error lacks %q:\n%v", s, err)
				}
			}
			for _, s := range tt.errNot {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error has %q:\n%v", s, err)
				}
			}
			if len(res.Components) != len(tt.comps) {
				t.Fatalf("%d results for %d components", len(res.Components), len(tt.comps))
			}
			for i, c := range res.Components {
				if c.Name != tt.comps[i].Name {
					t.Errorf("result %d is %s, want plan order %s", i, c.Name, tt.comps[i].Name)
				}
				if c.Status != tt.want[c.Name] {
					t.Errorf("%s: status %s, want %s", c.Name, c.Status, tt.want[c.Name])
				}
				if want, ok := tt.cached[c.Name]; ok && c.Cached != want {
					t.Errorf("%s: cached %v, want %v", c.Name, c.Cached, want)
				}
				if len(c.Steps) != 2 {
					t.Errorf("%s: %d steps, want 2", c.Name, len(c.Steps))
				}
				for j, w := range tt.steps[c.Name] {
					s := c.Steps[j]
					if s.Status != w.status || s.Cached != w.cached || s.Error != w.err {
						t.Errorf("%s step %d = %s/%v/%q, want %s/%v/%q", c.Name, j, s.Status, s.Cached, s.Error, w.status, w.cached, w.err)
					}
				}
				// Dependencies finish before dependents start.
				for _, d := range tt.comps[i].DependsOn {
					if c.Status == report.StatusSuccess && f.index("end "+d+"/test") > f.index("start "+c.Name+"/build") {
						t.Errorf("%s started before %s finished: %v", c.Name, d, f.events)
					}
				}
			}
		})
	}
}

func TestRunOutputAndLog(t *testing.T) {
	f := &fake{do: map[string]string{"a/test": "fail", "b/build": "unknown"}}
	res, _ := Run(context.Background(), []plan.Component{comp("a"), comp("b")}, Options{Steps: f.steps("build", "test")})
	a := res.Components[0]
	if got := strings.Count(a.Steps[1].Output, "\n") + 1; got != TailLines {
		t.Errorf("output tail has %d lines, want %d", got, TailLines)
	}
	for _, s := range []string{"==> a build: success", "a build ok", "==> a test: failure", "exit code 1", "line 1\n", "line 50\n"} {
		if !strings.Contains(a.Log, s) {
			t.Errorf("log lacks %q:\n%s", s, a.Log)
		}
	}
	b := res.Components[1]
	if !b.Steps[0].CacheUnknown || len(b.Artifacts) != 1 || b.Artifacts[0] != "img@sha256:1" {
		t.Errorf("b = %+v", b)
	}
}

func TestRunConcurrency(t *testing.T) {
	for _, n := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var mu sync.Mutex
			running, peak := 0, 0
			// Each step waits until n steps run at once (or all steps have
			// started), so a scheduler that runs fewer at once would hang
			// and one that runs more would show a higher peak.
			comps := []plan.Component{comp("a"), comp("b"), comp("c"), comp("d")}
			started := 0
			cond := sync.NewCond(&mu)
			step := Step{Name: "build", Run: func(ctx context.Context, c plan.Component) (Outcome, error) {
				mu.Lock()
				running++
				started++
				peak = max(peak, running)
				cond.Broadcast()
				for running < n && started < len(comps) {
					cond.Wait()
				}
				running--
				mu.Unlock()
				return Outcome{}, nil
			}}
			if _, err := Run(context.Background(), comps, Options{Steps: []Step{step}, Concurrency: n}); err != nil {
				t.Fatal(err)
			}
			if peak != n {
				t.Errorf("peak concurrency %d, want %d", peak, n)
			}
		})
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	steps := []Step{{Name: "build", Run: func(context.Context, plan.Component) (Outcome, error) {
		cancel()
		return Outcome{}, nil
	}}, {Name: "test", Run: func(context.Context, plan.Component) (Outcome, error) {
		t.Error("test ran after cancel")
		return Outcome{}, nil
	}}}
	res, err := Run(ctx, []plan.Component{comp("a"), comp("b", "a")}, Options{Steps: steps, Concurrency: 1})
	if err == nil || !strings.Contains(err.Error(), "a") {
		t.Fatalf("err = %v", err)
	}
	if s := res.Components[0].Steps[1]; s.Status != report.StatusSkipped || !strings.Contains(s.Error, "cancelled") {
		t.Errorf("a test = %+v", s)
	}
	if b := res.Components[1]; b.Status != report.StatusSkipped {
		t.Errorf("b = %+v", b)
	}
}

func TestRunRedactsSecrets(t *testing.T) {
	const secret = "s3cr3t-token"
	steps := []Step{{Name: "publish", Run: func(context.Context, plan.Component) (Outcome, error) {
		return Outcome{Output: "login with " + secret + "\n", Artifacts: []string{"x?token=" + secret}}, fmt.Errorf("push: bad token %s", secret)
	}}}
	res, err := Run(context.Background(), []plan.Component{comp("a")}, Options{Steps: steps, Secrets: []string{secret}})
	all := fmt.Sprintf("%v %+v", err, res)
	if strings.Contains(all, secret) {
		t.Fatalf("secret leaked: %s", all)
	}
	if !strings.Contains(all, "login with ***") || !strings.Contains(res.Components[0].Log, "bad token ***") {
		t.Errorf("redacted output missing: %s", all)
	}
}

func TestRunRejectsBadOrder(t *testing.T) {
	tests := []struct {
		comps []plan.Component
		want  string
	}{
		{[]plan.Component{comp("svc", "lib"), comp("lib")}, `"svc" is listed before its dependency "lib"`},
		{[]plan.Component{comp("a"), comp("a")}, `"a" listed twice`},
		{[]plan.Component{comp("a", "a")}, `"a" is listed before its dependency "a"`},
	}
	for _, tt := range tests {
		_, err := Run(context.Background(), tt.comps, Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want %q", err, tt.want)
		}
	}
}

func TestTail(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb", 5, "a\nb"},
		{"", 3, ""},
	}
	for _, tt := range tests {
		if got := Tail(tt.in, tt.n); got != tt.want {
			t.Errorf("Tail(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
