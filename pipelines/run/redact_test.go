package run

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
)

// A password whose every encoding differs from the others: URL escaping
// (query and path apart), JSON escaping (with HTML escaping) and base64.
const (
	echoUser = "deploy-bot"
	echoPass = `pa ss/w0rd+&<x>"q?=tok3n~ü`
	echoTok  = "ghp_T0kenThatIsLongEnough1234567890"
)

// secretForms lists, independently of Forms, every encoding the test
// servers echo a secret in.
func secretForms() map[string]string {
	json1, _ := json.Marshal(echoPass)
	forms := map[string]string{
		"raw password":       echoPass,
		"query-escaped":      url.QueryEscape(echoPass),
		"path-escaped":       url.PathEscape(echoPass),
		"json-escaped":       strings.Trim(string(json1), `"`),
		"strictly escaped":   strictURL(echoPass),
		"raw token":          echoTok,
		"base64 of token":    base64.StdEncoding.EncodeToString([]byte(echoTok)),
		"base64url of token": base64.RawURLEncoding.EncodeToString([]byte(echoTok)),
	}
	for name, enc := range map[string]*base64.Encoding{"std": base64.StdEncoding, "raw std": base64.RawStdEncoding,
		"url": base64.URLEncoding, "raw url": base64.RawURLEncoding} {
		forms["base64 "+name+" of user:pass"] = enc.EncodeToString([]byte(echoUser + ":" + echoPass))
		forms["base64 "+name+" of password"] = enc.EncodeToString([]byte(echoPass))
	}
	return forms
}

// strictURL escapes like Python's quote(s, safe=""), with lower-case hex
// digits as some encoders write them.
func strictURL(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if strings.IndexByte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02x", c)
		}
	}
	return b.String()
}

// echoServer answers every request with what it received: the
// Authorization header, the request URI and the body, and a base64 blob
// that embeds the token at an odd offset (as a JWT payload would).
func echoServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "Authorization: %s\nURI: %s\nbody: %s\n", r.Header.Get("Authorization"), r.RequestURI, body)
		var creds struct{ Password string }
		if json.Unmarshal(body, &creds) == nil && creds.Password != "" {
			fmt.Fprintf(w, "wrong password: %s\n", creds.Password)
		}
		if tok := r.URL.Query().Get("token"); tok != "" {
			fmt.Fprintf(w, "payload: %s\n", base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"x","tok":"`+tok+`"}`)))
			fmt.Fprintf(w, "payload64: %s\n", base64.StdEncoding.EncodeToString([]byte("ab"+tok)))
			fmt.Fprintf(w, "next: /login?password=%s\n", strictURL(r.URL.Query().Get("p")))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestRedactEchoedSecrets runs steps that call servers echoing credentials
// back (basic auth, a token in the query and the path, a JSON body), and
// searches every output, error, artifact and report file for every form of
// every secret.
func TestRedactEchoedSecrets(t *testing.T) {
	srv := echoServer(t)
	call := func(req *http.Request) string {
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return string(data)
	}
	var echoed strings.Builder
	steps := []Step{
		{Name: "basic", Run: func(context.Context, plan.Component) (Outcome, error) {
			req, _ := http.NewRequest("GET", srv.URL+"/basic", nil)
			req.SetBasicAuth(echoUser, echoPass)
			out := call(req)
			echoed.WriteString(out)
			return Outcome{Output: out}, nil
		}},
		{Name: "query", Run: func(context.Context, plan.Component) (Outcome, error) {
			req, _ := http.NewRequest("GET", srv.URL+"/q/"+url.PathEscape(echoPass)+"?token="+url.QueryEscape(echoTok)+"&p="+url.QueryEscape(echoPass), nil)
			out := call(req)
			echoed.WriteString(out)
			return Outcome{Output: out, Artifacts: []string{req.URL.String()}}, nil
		}},
		{Name: "json", Run: func(context.Context, plan.Component) (Outcome, error) {
			body, _ := json.Marshal(map[string]string{"password": echoPass, "token": echoTok})
			req, _ := http.NewRequest("POST", srv.URL+"/json", bytes.NewReader(body))
			out := call(req)
			echoed.WriteString(out)
			return Outcome{Output: out}, fmt.Errorf("server said: %s", out)
		}},
	}
	res, err := Run(context.Background(), []plan.Component{comp("a")}, Options{Steps: steps, Secrets: []string{echoTok},
		Pairs: []Pair{{Username: echoUser, Password: echoPass}}})
	if err == nil {
		t.Fatal("want the json step's failure")
	}
	files, ferr := report.Files(res)
	if ferr != nil {
		t.Fatal(ferr)
	}
	captured := map[string]string{"error": err.Error(), "results": fmt.Sprintf("%+v", res)}
	for name, data := range files {
		captured[name] = string(data)
	}
	for form, value := range secretForms() {
		// The servers did echo each form (else this test could not fail),
		// except the ones only the payload carries.
		if !strings.Contains(echoed.String(), value) && !strings.HasPrefix(form, "base64") {
			t.Errorf("test servers never echoed the %s form %q", form, value)
		}
		for name, text := range captured {
			if strings.Contains(text, value) {
				t.Errorf("%s shows the secret's %s form", name, form)
			}
		}
	}
	// The token inside a longer base64 payload, at each alignment.
	for _, line := range strings.Split(echoed.String(), "\n") {
		if p, ok := strings.CutPrefix(line, "payload: "); ok {
			for name, text := range captured {
				if strings.Contains(text, p[12:len(p)-12]) {
					t.Errorf("%s shows the base64 payload that embeds the token", name)
				}
			}
		}
	}
	if !strings.Contains(captured["logs/a.log"], "Authorization: Basic ***") {
		t.Errorf("redacted basic auth header missing from the log:\n%s", captured["logs/a.log"])
	}
}

func TestForms(t *testing.T) {
	if Forms("") != nil || PairForms(Pair{Username: "u"}) != nil {
		t.Error("an empty secret has forms")
	}
	r := Redactor([]string{"abc"}, Pair{Username: "user", Password: "pw"})
	for in, want := range map[string]string{
		"token abc here":     "token *** here",
		"Basic dXNlcjpwdw==": "Basic ***",
		"Basic dXNlcjpwdw":   "Basic ***",
		"YWJj":               "***",
		"user alone":         "user alone",
	} {
		if got := r(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
	// Short secrets do not redact base64 fragments, which would match
	// unrelated text.
	for _, f := range Forms("abc") {
		if len(f) < 3 {
			t.Errorf("form %q of a 3-byte secret", f)
		}
	}
}
