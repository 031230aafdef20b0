# SPDX-License-Identifier: MIT
"""Tests of the Python bindings (run by ctest as json_python_binding)."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ltl  # noqa: E402


class Bindings(unittest.TestCase):
    def test_flatten_dict(self):
        self.assertEqual(ltl.flatten_dict(b'{"a": {"b": [1, 2]}, "c d": {}}'),
                         {"a.b[0]": 1, "a.b[1]": 2, '["c d"]': {}})
        self.assertEqual(ltl.flatten_dict("5"), {"": 5})

    def test_formats(self):
        self.assertEqual(ltl.flatten('{"a":1}', format="lines"), "a = 1\n")
        self.assertEqual(ltl.flatten('{"a":1}', format="tsv"), "a\ta\t1\n")
        self.assertEqual(ltl.flatten('{"a":1}', format="gron"), "json = {};\njson.a = 1;\n")
        self.assertEqual(ltl.flatten('{"a":1}\n{"a":2}\n'), '{"a":1}\n{"a":2}\n')
        with self.assertRaises(ValueError):
            ltl.flatten("1", format="xml")

    def test_events(self):
        evs = ltl.events(b'{"k": ["v", 1.50]}', wildcard=True)
        self.assertEqual([(e.type, e.path, e.key, e.value, e.wildcard) for e in evs],
                         [("string", "k[0]", "k", '"v"', "k[]"),
                          ("number", "k[1]", "k", "1.50", "k[]")])
        self.assertEqual(evs[0].offset, 7)
        self.assertEqual(ltl.flatten_pairs('{"a":1,"a":2}'), [("a", 1), ("a", 2)])

    def test_errors(self):
        with self.assertRaises(ltl.JSONError) as cm:
            ltl.validate(b'{"a": [1,\n 2,]}')
        e = cm.exception
        self.assertEqual((e.line, e.column, e.offset), (2, 4, 13))
        self.assertIn("value", e.message)
        ltl.validate(b" [1] ")
        with self.assertRaises(ltl.JSONError):
            ltl.validate("[" * 2000)
        ltl.validate("[" * 2000 + "]" * 2000, max_depth=5000)

    def test_unflatten_round_trip(self):
        doc = '{"a":[1,{"b":null}],"":{"x y":"\\u00e9"},"n":-0.0e+00}'
        for fmt in ("lines", "json", "tsv"):
            self.assertEqual(ltl.unflatten(ltl.flatten(doc, format=fmt)), doc + "\n")
        self.assertEqual(json.loads(ltl.unflatten(ltl.flatten(doc, format="gron"))),
                         json.loads(doc))

    def test_pointer(self):
        self.assertEqual(ltl.pointer(b'{"a": [5, {"b/c": true}]}', "/a/1/b~1c"), "true")
        with self.assertRaises(KeyError):
            ltl.pointer(b'{"a": 1}', "/b")
        with self.assertRaises(ValueError):
            ltl.pointer(b'{"a": 1}', "a")

    def test_version(self):
        self.assertRegex(ltl.library_version(), r"^\d+\.\d+\.\d+")


if __name__ == "__main__":
    unittest.main()
