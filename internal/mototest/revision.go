package mototest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
)

var (
	functionPath = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)$`)
	codePath     = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/code$`)
)

// LambdaRevisions returns a Proxy interceptor that gives Lambda functions
// a RevisionId as AWS does, which moto 5.2.1 does not (it neither returns
// one for a function nor checks UpdateFunctionCode's): GetFunction and
// GetFunctionConfiguration (unqualified) carry a RevisionId made from the
// function's code and last modification, and an UpdateFunctionCode whose
// RevisionId is not the function's current one fails with
// PreconditionFailedException (HTTP 412) without reaching moto. endpoint
// is moto's own.
func LambdaRevisions(endpoint string) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && r.URL.Query().Get("Qualifier") == "" {
			if functionPath.MatchString(r.URL.Path) {
				return withRevision(w, r, endpoint)
			}
		}
		if r.Method == http.MethodPut {
			if m := codePath.FindStringSubmatch(r.URL.Path); m != nil {
				body, err := io.ReadAll(r.Body)
				if err != nil {
					WriteAWSError(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
					return true
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
				var in struct{ RevisionId string }
				_ = json.Unmarshal(body, &in)
				if in.RevisionId == "" {
					return false
				}
				cur, err := currentRevision(endpoint, m[1], r.Header)
				if err != nil || cur != in.RevisionId {
					WriteAWSError(w, http.StatusPreconditionFailed, "PreconditionFailedException",
						"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
					return true
				}
			}
		}
		return false
	}
}

// withRevision answers a GetFunction with moto's answer plus a
// RevisionId.
func withRevision(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	status, body, err := get(endpoint+r.URL.RequestURI(), r.Header)
	if err != nil || status != http.StatusOK {
		return false // let moto answer, errors included
	}
	var doc map[string]any
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	cfg, ok := doc["Configuration"].(map[string]any)
	if !ok {
		return false
	}
	cfg["RevisionId"] = revisionOf(doc, cfg)
	out, _ := json.Marshal(doc)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
	return true
}

// currentRevision is the RevisionId a GetFunction of name gives now.
func currentRevision(endpoint, name string, h http.Header) (string, error) {
	_, body, err := get(endpoint+"/2015-03-31/functions/"+name, h)
	if err != nil {
		return "", err
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", err
	}
	cfg, _ := doc["Configuration"].(map[string]any)
	return revisionOf(doc, cfg), nil
}

// revisionOf derives a revision from what an update changes: the code
// (hash and image) and the last modification time.
func revisionOf(doc, cfg map[string]any) string {
	code, _ := doc["Code"].(map[string]any)
	h := sha256.New()
	for _, v := range []any{cfg["CodeSha256"], cfg["LastModified"], code["ImageUri"]} {
		b, _ := json.Marshal(v)
		h.Write(append(b, 0))
	}
	sum := hex.EncodeToString(h.Sum(nil))
	return sum[:8] + "-" + sum[8:12] + "-" + sum[12:16] + "-" + sum[16:20] + "-" + sum[20:32]
}

func get(url string, h http.Header) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header = h.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}
