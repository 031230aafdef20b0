// SPDX-License-Identifier: MIT

package ltl

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MaxBody is the largest request body the Handler reads (64 MiB).
const MaxBody = 64 << 20

// Handler serves the JSON engine over HTTP (the JSON-flatten server of
// docs/JSON.md; cmd/flatten-server runs it):
//
//	POST /flatten?format=json|lines|tsv|gron&mode=auto|document|lines|stream
//	     body: JSON or JSON Lines; answer: the flat text (json: {"path": value} objects)
//	POST /unflatten[?format=...]   body: flat text; answer: JSON, one document per line
//	POST /pointer?p=/a/0           body: JSON; answer: the value's JSON text
//	POST /validate                 body: JSON; answer: 204, or 400 with the position
//
// Malformed input is answered with 400 and "line L, column C (offset O): message".
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/flatten", func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		format, ok1 := formatOf(r.URL.Query().Get("format"), JSON)
		mode, ok2 := modeOf(r.URL.Query().Get("mode"))
		if !ok1 || !ok2 {
			http.Error(w, "bad format or mode", http.StatusBadRequest)
			return
		}
		out, err := Flatten(body, format, mode)
		reply(w, out, err, format)
	})
	mux.HandleFunc("/unflatten", func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		format, ok1 := formatOf(r.URL.Query().Get("format"), Detect)
		if !ok1 {
			http.Error(w, "bad format", http.StatusBadRequest)
			return
		}
		out, err := Unflatten(body, format)
		reply(w, out, err, JSON)
	})
	mux.HandleFunc("/pointer", func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		out, err := Pointer(body, r.URL.Query().Get("p"))
		if err == ErrNotFound {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		reply(w, out, err, JSON)
	})
	mux.HandleFunc("/validate", func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		if err := Validate(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		http.Error(w, "request body: "+err.Error(), http.StatusRequestEntityTooLarge)
		return nil, false
	}
	return body, true
}

func reply(w http.ResponseWriter, out []byte, err error, format Format) {
	if err != nil {
		if _, ok := err.(*Error); ok {
			http.Error(w, err.Error(), http.StatusBadRequest)
		} else {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
		return
	}
	if format == JSON {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	_, _ = w.Write(out)
}

func formatOf(s string, def Format) (Format, bool) {
	switch strings.ToLower(s) {
	case "":
		return def, true
	case "json":
		return JSON, true
	case "lines":
		return Lines, true
	case "tsv":
		return TSV, true
	case "gron":
		return Gron, true
	}
	return 0, false
}

func modeOf(s string) (Mode, bool) {
	switch strings.ToLower(s) {
	case "", "auto":
		return Auto, true
	case "document":
		return Document, true
	case "lines", "jsonl":
		return JSONL, true
	case "stream":
		return Stream, true
	}
	return 0, false
}

// String names a format as the server and the CLI spell it.
func (f Format) String() string {
	switch f {
	case Lines:
		return "lines"
	case JSON:
		return "json"
	case TSV:
		return "tsv"
	case Gron:
		return "gron"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}
