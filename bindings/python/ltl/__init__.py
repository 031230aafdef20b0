# SPDX-License-Identifier: MIT
"""ltl — Python bindings (ctypes, standard library only) for libltl's JSON engine.

    import ltl
    ltl.flatten_dict(b'{"a": {"b": [1, 2]}}')   # {'a.b[0]': 1, 'a.b[1]': 2}
    ltl.flatten(b'{"a": 1}', format="lines")     # 'a = 1\\n'
    ltl.unflatten('a.b = 1\\n')                  # '{"a":{"b":1}}\\n'
    for ev in ltl.events(b'[{"k": "v"}]'): ...   # Event(type='string', path='[0].k', key='k', value='"v"', ...)
    ltl.pointer(b'{"a": [5]}', "/a/0")          # '5'
    ltl.validate(b'[1,]')                        # raises ltl.JSONError with line and column

The library is found through $LTL_LIBRARY, else libltl.so next to this package or in a
CMake build directory of the source tree (build/, build-*/), else the system's loader path.
Paths and syntax: docs/JSON.md. Memory returned by the library is freed with ltl_free().
"""
import ctypes
import glob
import json as _json
import os
from collections import namedtuple

__all__ = ["JSONError", "Event", "validate", "events", "flatten", "flatten_dict",
           "flatten_pairs", "unflatten", "pointer", "library_version"]

_HERE = os.path.dirname(os.path.abspath(__file__))


def _find_library():
    env = os.environ.get("LTL_LIBRARY")
    if env:
        return env
    candidates = [os.path.join(_HERE, "libltl.so")]
    root = os.path.abspath(os.path.join(_HERE, "..", "..", ".."))
    for d in ["build"] + sorted(os.path.basename(p) for p in glob.glob(os.path.join(root, "build-*"))):
        candidates.append(os.path.join(root, d, "libltl.so"))
    for c in candidates:
        if os.path.exists(c):
            return c
    return "libltl.so.0"


_lib = ctypes.CDLL(_find_library())

# ---- C declarations (include/ltl.h) -------------------------------------------------------

LTL_OK, LTL_EINVAL, LTL_ENOMEM, LTL_ENOTFOUND, LTL_EPARSE = 0, -1, -2, -6, -13

MODES = {"auto": 0, "document": 1, "lines": 2, "stream": 3}
FORMATS = {"lines": 1, "json": 2, "tsv": 3, "gron": 4}
_EMIT_CONTAINERS, _EMIT_WILDCARD, _EMIT_END, _KEEP_GOING = 1, 2, 4, 8
TYPES = {1: "null", 2: "false", 3: "true", 4: "number", 5: "string", 6: "object", 7: "array",
         8: "end"}


class _Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 160),
                ("offset", ctypes.c_uint64), ("line", ctypes.c_uint64),
                ("column", ctypes.c_uint64), ("document", ctypes.c_uint64)]


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("depth", ctypes.c_uint),
                ("path", ctypes.c_void_p), ("path_len", ctypes.c_size_t),
                ("key", ctypes.c_void_p), ("key_len", ctypes.c_size_t),
                ("value", ctypes.c_void_p), ("value_len", ctypes.c_size_t),
                ("wildcard", ctypes.c_void_p), ("wildcard_len", ctypes.c_size_t),
                ("document", ctypes.c_uint64), ("offset", ctypes.c_uint64)]


_EVENT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_Event))
_ERROR_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_Error))


class _Options(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("mode", ctypes.c_int), ("flags", ctypes.c_uint),
                ("max_depth", ctypes.c_uint), ("on_error", _ERROR_FN),
                ("error_ctx", ctypes.c_void_p)]


_lib.ltl_version.restype = ctypes.c_char_p
_lib.ltl_free.argtypes = [ctypes.c_void_p]
_lib.ltl_json_parse.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_Options),
                                _EVENT_FN, ctypes.c_void_p, ctypes.POINTER(_Error)]
_lib.ltl_json_flatten.argtypes = [ctypes.POINTER(ctypes.c_void_p),
                                  ctypes.POINTER(ctypes.c_size_t), ctypes.c_char_p,
                                  ctypes.c_size_t, ctypes.c_int, ctypes.POINTER(_Options),
                                  ctypes.POINTER(_Error)]
_lib.ltl_json_unflatten.argtypes = [ctypes.POINTER(ctypes.c_void_p),
                                    ctypes.POINTER(ctypes.c_size_t), ctypes.c_char_p,
                                    ctypes.c_size_t, ctypes.c_int, ctypes.POINTER(_Error)]
_lib.ltl_json_pointer_get.argtypes = [ctypes.POINTER(ctypes.c_void_p),
                                      ctypes.POINTER(ctypes.c_size_t), ctypes.c_char_p,
                                      ctypes.c_size_t, ctypes.c_char_p, ctypes.POINTER(_Error)]
_lib.ltl_strerror.restype = ctypes.c_char_p


class JSONError(ValueError):
    """Malformed input: .message, .offset (bytes, from 0), .line and .column (from 1),
    .document (from 0), .code (the library's return code)."""

    def __init__(self, err):
        self.code = err.code
        self.message = err.message.decode("utf-8", "replace")
        self.offset, self.line, self.column, self.document = (err.offset, err.line, err.column,
                                                              err.document)
        super().__init__("line %d, column %d (offset %d): %s" % (self.line, self.column,
                                                                  self.offset, self.message))


Event = namedtuple("Event", "type path key value depth document offset wildcard")


def _bytes(data):
    if isinstance(data, str):
        # lone surrogates (from json.loads, or keys the library returned) pass through
        return data.encode("utf-8", "surrogatepass")
    return bytes(data)


def _options(mode, flags=0, max_depth=0):
    if mode not in MODES:
        raise ValueError("mode must be one of %s" % ", ".join(MODES))
    return _Options(1, MODES[mode], flags, max_depth, _ERROR_FN(0), None)


def _check(rc, err):
    if rc == LTL_OK:
        return
    if rc == LTL_EPARSE:
        raise JSONError(err)
    if rc == LTL_ENOMEM:
        raise MemoryError("libltl: out of memory")
    raise RuntimeError(_lib.ltl_strerror(rc).decode())


def _text(ptr, n):
    # "surrogatepass": a key with a lone surrogate escape comes back as that surrogate
    return ctypes.string_at(ptr, n).decode("utf-8", "surrogatepass") if n else ""


def library_version():
    """The version of the loaded libltl, e.g. '0.1.0'."""
    return _lib.ltl_version().decode()


def validate(data, mode="document", max_depth=0):
    """Raise JSONError unless data is valid JSON (RFC 8259; mode as in events())."""
    data = _bytes(data)
    err = _Error()
    opts = _options(mode, 0, max_depth)
    _check(_lib.ltl_json_parse(data, len(data), ctypes.byref(opts), _EVENT_FN(0), None,
                               ctypes.byref(err)), err)


def events(data, mode="auto", containers=False, wildcard=False, max_depth=0):
    """Every scalar and empty container of data, in document order, as Event tuples:
    type ('null', 'false', 'true', 'number', 'string', 'object', 'array'), full path, short
    key, value (its JSON text exactly as in the input), depth, document index, byte offset,
    and the wildcard path (with wildcard=True). containers=True reports every container as
    it opens. mode: 'auto', 'document', 'lines' (JSON Lines) or 'stream'."""
    data = _bytes(data)
    out = []
    flags = (_EMIT_CONTAINERS if containers else 0) | (_EMIT_WILDCARD if wildcard else 0)

    def on_event(ctx, evp):
        ev = evp.contents
        out.append(Event(TYPES[ev.type], _text(ev.path, ev.path_len), _text(ev.key, ev.key_len),
                         _text(ev.value, ev.value_len), ev.depth, ev.document, ev.offset,
                         _text(ev.wildcard, ev.wildcard_len) if ev.wildcard else None))
        return 0

    cb = _EVENT_FN(on_event)
    err = _Error()
    opts = _options(mode, flags, max_depth)
    _check(_lib.ltl_json_parse(data, len(data), ctypes.byref(opts), cb, None,
                               ctypes.byref(err)), err)
    return out


def flatten(data, format="json", mode="auto", max_depth=0):
    """Flatten data into text: format 'json' ({"path": value, ...} per document, one per
    line), 'lines' (path = value), 'tsv' (path, key, value) or 'gron'."""
    if format not in FORMATS:
        raise ValueError("format must be one of %s" % ", ".join(FORMATS))
    data = _bytes(data)
    out = ctypes.c_void_p()
    n = ctypes.c_size_t()
    err = _Error()
    opts = _options(mode, 0, max_depth)
    _check(_lib.ltl_json_flatten(ctypes.byref(out), ctypes.byref(n), data, len(data),
                                 FORMATS[format], ctypes.byref(opts), ctypes.byref(err)), err)
    try:
        return ctypes.string_at(out, n.value).decode("utf-8")
    finally:
        _lib.ltl_free(out)


def flatten_pairs(data, mode="auto"):
    """[(path, value), ...] with values decoded by the json module; duplicate keys kept."""
    return [(e.path, _json.loads(e.value)) for e in events(data, mode=mode)]


def flatten_dict(data):
    """The flattened document as a dict {path: value} (one document; the last of duplicate
    paths wins)."""
    text = flatten(data, format="json", mode="document")
    return _json.loads(text)


def unflatten(text, format=None):
    """Rebuild JSON from flat text in any format (detected when format is None); returns one
    line of compact JSON per document."""
    code = 0 if format is None else FORMATS[format]
    data = _bytes(text)
    out = ctypes.c_void_p()
    n = ctypes.c_size_t()
    err = _Error()
    _check(_lib.ltl_json_unflatten(ctypes.byref(out), ctypes.byref(n), data, len(data), code,
                                   ctypes.byref(err)), err)
    try:
        return ctypes.string_at(out, n.value).decode("utf-8")
    finally:
        _lib.ltl_free(out)


def pointer(data, ptr):
    """The JSON text at JSON Pointer ptr (RFC 6901) in data; KeyError when it is not there."""
    data = _bytes(data)
    out = ctypes.c_void_p()
    n = ctypes.c_size_t()
    err = _Error()
    rc = _lib.ltl_json_pointer_get(ctypes.byref(out), ctypes.byref(n), data, len(data),
                                   _bytes(ptr), ctypes.byref(err))
    if rc == LTL_ENOTFOUND:
        raise KeyError(ptr)
    if rc == LTL_EINVAL:
        raise ValueError("malformed JSON Pointer: %r" % ptr)
    _check(rc, err)
    return ctypes.string_at(out, n.value).decode("utf-8")
