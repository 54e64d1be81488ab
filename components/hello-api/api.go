// Command hello-api serves greetings over HTTP. It runs as a plain HTTP
// server (PORT, default 8080) or, when started by AWS Lambda, as a function
// behind a Function URL or an API Gateway HTTP API.
package main

import (
	"encoding/json"
	"net/http"

	"github.com/monopipe/monopipe/components/greet"
)

// newHandler routes the API:
//
//	GET /hello?name=Ada&lang=fr  {"message": "Bonjour, Ada !"}
//	GET /languages               {"languages": ["de", "en", ...]}
//	GET /healthz                 ok
func newHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		msg, err := greet.Greeting(r.URL.Query().Get("name"), r.URL.Query().Get("lang"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"message": msg})
	})
	mux.HandleFunc("GET /languages", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string][]string{"languages": greet.Languages()})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // fails only when the client is gone
}
