// SPDX-License-Identifier: MIT

package ltl

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestFlattenMap(t *testing.T) {
	m, err := FlattenMap([]byte(`{"a": {"b": [1, 2.50]}, "c d": {}, "e": "x"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a.b[0]": json.Number("1"), "a.b[1]": json.Number("2.50"),
		`["c d"]`: map[string]any{}, "e": "x"}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %v, want %v", m, want)
	}
}

func TestFormatsAndRoundTrip(t *testing.T) {
	doc := `{"a":[1,{"b":null}],"":{"x y":"\u00e9"},"n":-0.0e+00}`
	for _, f := range []Format{Lines, JSON, TSV} {
		flat, err := Flatten([]byte(doc), f, Auto)
		if err != nil {
			t.Fatal(f, err)
		}
		back, err := Unflatten(flat, Detect)
		if err != nil {
			t.Fatal(f, err)
		}
		if string(back) != doc+"\n" {
			t.Fatalf("%v: %s", f, back)
		}
	}
	gron, _ := Flatten([]byte(`{"a":1}`), Gron, Auto)
	if string(gron) != "json = {};\njson.a = 1;\n" {
		t.Fatalf("gron: %q", gron)
	}
}

func TestErrors(t *testing.T) {
	err := Validate([]byte("{\"a\": [1,\n 2,]}"))
	var e *Error
	if !errors.As(err, &e) || e.Line != 2 || e.Column != 4 || e.Offset != 13 {
		t.Fatalf("got %v", err)
	}
	if err := Validate([]byte(" [1] ")); err != nil {
		t.Fatal(err)
	}
	if _, err := Flatten([]byte("{"), Lines, Auto); err == nil {
		t.Fatal("no error")
	}
}

func TestEventsAndWalk(t *testing.T) {
	evs, err := Events([]byte(`{"k": ["v", 1.50]}`+"\n"+`{"k": []}`), JSONL)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].Path != "k[0]" || evs[0].Key != "k" || evs[0].Value != `"v"` ||
		evs[0].Wildcard != "k[]" || evs[1].Type != "number" || evs[2].Document != 1 ||
		evs[2].Type != "array" {
		t.Fatalf("got %+v", evs)
	}
	stop := errors.New("stop")
	n := 0
	err = Walk([]byte(`[1,2,3]`), Auto, func(e Event) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Fatalf("walk: %v after %d", err, n)
	}
}

func TestPointer(t *testing.T) {
	doc := []byte(`{"a": [5, {"b/c": true}]}`)
	v, err := Pointer(doc, "/a/1/b~1c")
	if err != nil || string(v) != "true" {
		t.Fatalf("%q %v", v, err)
	}
	if _, err := Pointer(doc, "/x"); err != ErrNotFound {
		t.Fatal(err)
	}
}

func TestConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				evs, err := Events([]byte(`{"a":[1,2,{"b":"c"}]}`), Auto)
				if err != nil || len(evs) != 3 {
					t.Error(err, len(evs))
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestServer(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	post := func(path, body string) (int, string) {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("/flatten", `{"a":{"b":1}}`); code != 200 || body != `{"a.b":1}`+"\n" {
		t.Fatalf("%d %q", code, body)
	}
	if code, body := post("/flatten?format=lines&mode=lines", "{\"a\":1}\n[2]\n"); code != 200 ||
		body != "a = 1\n\n[0] = 2\n" {
		t.Fatalf("%d %q", code, body)
	}
	if code, body := post("/unflatten", "a.b = 1\n"); code != 200 || body != `{"a":{"b":1}}`+"\n" {
		t.Fatalf("%d %q", code, body)
	}
	if code, body := post("/pointer?p=/a/1", `{"a":[0,"x"]}`); code != 200 || body != `"x"` {
		t.Fatalf("%d %q", code, body)
	}
	if code, _ := post("/pointer?p=/z", `{}`); code != 404 {
		t.Fatal(code)
	}
	if code, body := post("/flatten", `{"a":`); code != 400 || !strings.Contains(body, "line 1") {
		t.Fatalf("%d %q", code, body)
	}
	if code, _ := post("/validate", `[1]`); code != 204 {
		t.Fatal(code)
	}
	if code, _ := post("/flatten?format=xml", `1`); code != 400 {
		t.Fatal(code)
	}
	resp, err := http.Get(srv.URL + "/flatten")
	if err != nil || resp.StatusCode != 405 {
		t.Fatal(err, resp.StatusCode)
	}
	resp.Body.Close()
}

func TestVersion(t *testing.T) {
	if !strings.Contains(Version(), ".") {
		t.Fatal(Version())
	}
}
