// SPDX-License-Identifier: MIT

// Package ltl is the Go binding (cgo) of libltl's JSON engine: a streaming,
// validating JSON flattener that turns documents and JSON Lines into
// (full path, short key, value) and back. Paths and formats: docs/JSON.md.
//
//	flat, err := ltl.FlattenMap([]byte(`{"a": {"b": [1, 2]}}`))
//	// map[a.b[0]:1 a.b[1]:2]
//
// Build against a libltl build: CGO_LDFLAGS="-L$BUILD -Wl,-rpath,$BUILD".
// Memory the library returns is copied into Go and freed with ltl_free.
// Every function is safe for concurrent use.
package ltl

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -lltl
#include <stdint.h>
#include <stdlib.h>
#include "ltl.h"

extern int ltlGoEvent(void *ctx, ltl_json_event *ev);

static int ltl_go_parse(const void *data, size_t len, ltl_json_options *opts, uintptr_t h,
                        ltl_json_error *err)
{
    // cgo exports without const: the callback only reads the event
    return ltl_json_parse(data, len, opts, (ltl_json_fn)ltlGoEvent, (void *)h, err);
}
*/
import "C"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// Format is a flat text format.
type Format int

// The flat formats (LTL_JSON_FLAT_*).
const (
	Lines Format = 1 // path = value
	JSON  Format = 2 // {"path": value, ...}, one object per document and line
	TSV   Format = 3 // path<TAB>short key<TAB>value
	Gron  Format = 4 // gron's statements, byte for byte
	// Detect lets Unflatten find the format from the first line.
	Detect Format = 0
)

// Mode says how the input splits into documents.
type Mode int

// Input modes (LTL_JSON_MODE_*).
const (
	Auto     Mode = 0 // one document, or JSON Lines when it looks like it
	Document Mode = 1 // exactly one value
	JSONL    Mode = 2 // JSON Lines: one value per line
	Stream   Mode = 3 // values separated by whitespace
)

// Error is malformed input: where and why.
type Error struct {
	Code     int    // the library's return code (LTL_EPARSE = -13)
	Message  string // what is wrong
	Offset   uint64 // byte offset from the start of the input, from 0
	Line     uint64 // from 1
	Column   uint64 // in bytes, from 1
	Document uint64 // index of the document, from 0
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d (offset %d): %s", e.Line, e.Column, e.Offset, e.Message)
}

// ErrNotFound is returned by Pointer when the pointer leads nowhere.
var ErrNotFound = errors.New("ltl: JSON Pointer not found")

func toError(rc C.int, e *C.ltl_json_error) error {
	if rc == 0 {
		return nil
	}
	if e != nil && e.code != 0 && rc == -13 {
		return &Error{Code: int(e.code), Message: C.GoString(&e.message[0]), Offset: uint64(e.offset),
			Line: uint64(e.line), Column: uint64(e.column), Document: uint64(e.document)}
	}
	return fmt.Errorf("ltl: %s", C.GoString(C.ltl_strerror(rc)))
}

// ptr gives C a pointer to the bytes (Go memory, not kept by the library).
func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

func options(mode Mode, flags C.uint) C.ltl_json_options {
	var o C.ltl_json_options
	C.ltl_json_options_init(&o)
	o.mode = C.int(mode)
	o.flags = flags
	return o
}

// Validate reports whether data is one valid JSON text (RFC 8259).
func Validate(data []byte) error {
	var e C.ltl_json_error
	o := options(Document, 0)
	rc := C.ltl_json_parse(ptr(data), C.size_t(len(data)), &o, nil, nil, &e)
	return toError(rc, &e)
}

// Flatten turns data into flat text in the given format.
func Flatten(data []byte, format Format, mode Mode) ([]byte, error) {
	var out *C.char
	var n C.size_t
	var e C.ltl_json_error
	o := options(mode, 0)
	rc := C.ltl_json_flatten(&out, &n, ptr(data), C.size_t(len(data)), C.int(format), &o, &e)
	if rc != 0 {
		return nil, toError(rc, &e)
	}
	defer C.ltl_free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), nil
}

// FlattenMap flattens one document into a map from path to value (numbers as
// json.Number, so that their digits are kept). Of duplicate paths the last wins.
func FlattenMap(data []byte) (map[string]any, error) {
	flat, err := Flatten(data, JSON, Document)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(flat))
	d.UseNumber()
	m := map[string]any{}
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// Unflatten rebuilds JSON (one line of compact JSON per document) from flat text.
func Unflatten(text []byte, format Format) ([]byte, error) {
	var out *C.char
	var n C.size_t
	var e C.ltl_json_error
	rc := C.ltl_json_unflatten(&out, &n, ptr(text), C.size_t(len(text)), C.int(format), &e)
	if rc != 0 {
		return nil, toError(rc, &e)
	}
	defer C.ltl_free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), nil
}

// Pointer returns the JSON text that the JSON Pointer p (RFC 6901) designates in data.
func Pointer(data []byte, p string) ([]byte, error) {
	var out unsafe.Pointer
	var n C.size_t
	var e C.ltl_json_error
	cp := C.CString(p)
	defer C.free(unsafe.Pointer(cp))
	rc := C.ltl_json_pointer_get((**C.char)(unsafe.Pointer(&out)), &n, ptr(data), C.size_t(len(data)), cp, &e)
	switch rc {
	case 0:
		// a slice of data: find where it starts
		off := uintptr(out) - uintptr(ptr(data))
		return data[off : off+uintptr(n)], nil
	case -6:
		return nil, ErrNotFound
	case -1:
		return nil, fmt.Errorf("ltl: malformed JSON Pointer %q", p)
	}
	return nil, toError(rc, &e)
}

// Event is one value of the input: its type ("null", "false", "true", "number",
// "string", "object", "array"), full path, short key, JSON text, depth, the index
// of its document and its byte offset.
type Event struct {
	Type     string
	Path     string
	Key      string
	Value    string
	Wildcard string
	Depth    int
	Document uint64
	Offset   uint64
}

var typeNames = [...]string{"", "null", "false", "true", "number", "string", "object", "array", "end"}

type collector struct {
	events []Event
	fn     func(Event) error
	err    error
}

//export ltlGoEvent
func ltlGoEvent(ctx unsafe.Pointer, ev *C.ltl_json_event) C.int {
	c := cgo.Handle(uintptr(ctx)).Value().(*collector)
	e := Event{
		Type:     typeNames[ev._type],
		Path:     C.GoStringN(ev.path, C.int(ev.path_len)),
		Key:      C.GoStringN(ev.key, C.int(ev.key_len)),
		Value:    C.GoStringN(ev.value, C.int(ev.value_len)),
		Depth:    int(ev.depth),
		Document: uint64(ev.document),
		Offset:   uint64(ev.offset),
	}
	if ev.wildcard != nil {
		e.Wildcard = C.GoStringN(ev.wildcard, C.int(ev.wildcard_len))
	}
	if c.fn != nil {
		if err := c.fn(e); err != nil {
			c.err = err
			return 1
		}
		return 0
	}
	c.events = append(c.events, e)
	return 0
}

// Walk calls fn for every scalar and empty container of data, in document order,
// with wildcard paths (authors[].key) filled in. A non-nil error from fn stops the
// walk and is returned.
func Walk(data []byte, mode Mode, fn func(Event) error) error {
	c := &collector{fn: fn}
	h := cgo.NewHandle(c)
	defer h.Delete()
	var e C.ltl_json_error
	o := options(mode, C.LTL_JSON_EMIT_WILDCARD)
	rc := C.ltl_go_parse(ptr(data), C.size_t(len(data)), &o, C.uintptr_t(h), &e)
	if c.err != nil {
		return c.err
	}
	return toError(rc, &e)
}

// Events returns every scalar and empty container of data (see Walk).
func Events(data []byte, mode Mode) ([]Event, error) {
	c := &collector{}
	h := cgo.NewHandle(c)
	defer h.Delete()
	var e C.ltl_json_error
	o := options(mode, C.LTL_JSON_EMIT_WILDCARD)
	rc := C.ltl_go_parse(ptr(data), C.size_t(len(data)), &o, C.uintptr_t(h), &e)
	if err := toError(rc, &e); err != nil {
		return nil, err
	}
	return c.events, nil
}

// Version is the loaded library's version, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.ltl_version())
}
