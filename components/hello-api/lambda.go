package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// lambdaHandler adapts an http.Handler to Lambda events of payload format
// 2.0, which both Function URLs (invoke mode BUFFERED) and API Gateway HTTP
// APIs send. The response is buffered; binary bodies are base64-encoded.
func lambdaHandler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		body := []byte(ev.Body)
		if ev.IsBase64Encoded {
			var err error
			if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
				return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("decode request body: %w", err)
			}
		}
		url := "https://" + ev.RequestContext.DomainName + ev.RawPath
		if ev.RawQueryString != "" {
			url += "?" + ev.RawQueryString
		}
		req, err := http.NewRequestWithContext(ctx, ev.RequestContext.HTTP.Method, url, bytes.NewReader(body))
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("build request: %w", err)
		}
		for k, v := range ev.Headers {
			req.Header.Set(k, v)
		}
		if len(ev.Cookies) > 0 {
			req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
		}
		req.RemoteAddr = ev.RequestContext.HTTP.SourceIP

		w := &bufferedWriter{header: http.Header{}}
		h.ServeHTTP(w, req)

		resp := events.APIGatewayV2HTTPResponse{StatusCode: w.code, Headers: map[string]string{}}
		if resp.StatusCode == 0 {
			resp.StatusCode = http.StatusOK
		}
		for k, v := range w.header {
			if k == "Set-Cookie" {
				resp.Cookies = v
				continue
			}
			resp.Headers[k] = strings.Join(v, ",")
		}
		if utf8.Valid(w.body.Bytes()) {
			resp.Body = w.body.String()
		} else {
			resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(w.body.Bytes()), true
		}
		return resp, nil
	}
}

// bufferedWriter is an http.ResponseWriter that keeps the whole response.
type bufferedWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *bufferedWriter) Header() http.Header { return w.header }

func (w *bufferedWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *bufferedWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}
