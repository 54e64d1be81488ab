package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// functionURLEvent is a Function URL request as Lambda delivers it
// (payload format 2.0, shortened from the AWS documentation's example).
const functionURLEvent = `{
  "version": "2.0",
  "routeKey": "$default",
  "rawPath": "/hello",
  "rawQueryString": "name=ada&lang=de",
  "cookies": ["a=1", "b=2"],
  "headers": {"accept": "application/json", "host": "abc.lambda-url.eu-west-1.on.aws"},
  "queryStringParameters": {"name": "ada", "lang": "de"},
  "requestContext": {
    "accountId": "123456789012",
    "apiId": "abc",
    "domainName": "abc.lambda-url.eu-west-1.on.aws",
    "http": {"method": "GET", "path": "/hello", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8"},
    "requestId": "id",
    "routeKey": "$default",
    "stage": "$default",
    "time": "22/Nov/2026:23:00:00 +0000",
    "timeEpoch": 1795388400000
  },
  "isBase64Encoded": false
}`

func TestLambdaHandler(t *testing.T) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal([]byte(functionURLEvent), &ev); err != nil {
		t.Fatal(err)
	}
	var seen *http.Request
	probe := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		http.SetCookie(w, &http.Cookie{Name: "s", Value: "1"})
		newHandler().ServeHTTP(w, r)
	})
	resp, err := lambdaHandler(probe)(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Body != "{\"message\":\"Hallo, Ada!\"}\n" || resp.IsBase64Encoded ||
		resp.Headers["Content-Type"] != "application/json" || len(resp.Cookies) != 1 || resp.Cookies[0] != "s=1" {
		t.Errorf("response = %+v", resp)
	}
	if seen.URL.String() != "https://abc.lambda-url.eu-west-1.on.aws/hello?name=ada&lang=de" ||
		seen.Header.Get("Accept") != "application/json" || seen.Header.Get("Cookie") != "a=1; b=2" || seen.RemoteAddr != "203.0.113.7" {
		t.Errorf("request = %s %v %s", seen.URL, seen.Header, seen.RemoteAddr)
	}
}

func TestLambdaHandlerBodies(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	})
	tests := []struct {
		name    string
		ev      events.APIGatewayV2HTTPRequest
		body    string
		base64  bool
		wantErr bool
	}{
		{"text", events.APIGatewayV2HTTPRequest{Body: "hi"}, "hi", false, false},
		{"binary in, binary out", events.APIGatewayV2HTTPRequest{Body: base64.StdEncoding.EncodeToString([]byte{0xff, 0x00}), IsBase64Encoded: true}, "/wA=", true, false},
		{"bad base64", events.APIGatewayV2HTTPRequest{Body: "%%%", IsBase64Encoded: true}, "", false, true},
	}
	for _, tt := range tests {
		tt.ev.RequestContext.HTTP.Method = "POST"
		tt.ev.RawPath = "/echo"
		resp, err := lambdaHandler(echo)(context.Background(), tt.ev)
		if (err != nil) != tt.wantErr {
			t.Fatalf("%s: err = %v", tt.name, err)
		}
		if err == nil && (resp.StatusCode != 201 || resp.Body != tt.body || resp.IsBase64Encoded != tt.base64) {
			t.Errorf("%s: response = %+v", tt.name, resp)
		}
	}
}
