#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""CLI golden tests: run tests/cli/cases/NAME.sh and compare its output with
NAME.out after normalising what changes from run to run (times, pids, ids,
the temporary directory, host and user names).

The case runs under bash in a fresh temporary directory that is also HOME,
XDG_DATA_HOME and XDG_CONFIG_HOME, with `ltl` (the binary under test) first
on PATH, LTL_SYSTEM_CONFIG pointing into the temporary directory, NO_COLOR
set, and a helper `t CMD...` that prints "$ CMD...", runs it with stderr
merged into stdout, and prints "[exit N]".

usage: golden.py LTL_BINARY CASE.sh       (LTL_GOLDEN_UPDATE=1 rewrites CASE.out)
"""
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

PRELUDE = r'''
set -u
t() { printf '$ %s\n' "$*"; "$@" 2>&1; printf '[exit %d]\n' "$?"; }
'''


def case_rules(script):
    """A case may add its own normalisations, one per line:
    '# golden-normalise: REGEX => REPLACEMENT'. Damage cases need them: byte
    offsets after the first manifest move with the length of the writer's pid."""
    rules = []
    for line in script.splitlines():
        if line.startswith("# golden-normalise: ") and " => " in line:
            pattern, repl = line[len("# golden-normalise: "):].split(" => ", 1)
            rules.append((re.compile(pattern), repl))
    return rules


def normalise(text, tmp, rules=()):
    for pattern, repl in rules:
        text = pattern.sub(repl, text)
    text = text.replace(os.path.realpath(tmp), "<TMP>").replace(tmp, "<TMP>")
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<TS>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-\d+", "<WHEN>", text)
    text = re.sub(r'"(pid|writer_pid)":\d+', r'"\1":<PID>', text)
    text = re.sub(r"\bpid \d+", "pid <PID>", text)
    text = re.sub(r'"host":"[^"]*"', '"host":"<HOST>"', text)
    text = re.sub(r'"user":"[^"]*"', '"user":"<USER>"', text)
    text = re.sub(r"\S+@\S+ pid <PID>", "<USER>@<HOST> pid <PID>", text)
    text = re.sub(r"\b[0-9a-f]{64}\b", "<HASH>", text)
    text = re.sub(r"\b[0-9a-f]{32}\b", "<ID>", text)
    text = re.sub(r'"config":"[0-9a-f]{16}"', '"config":"<DIGEST>"', text)
    text = re.sub(r'"exe":"[^"]*"', '"exe":"<EXE>"', text)
    text = re.sub(r'"build":"[^"]*"', '"build":"<BUILD>"', text)
    text = re.sub(r"\(errno \d+\)", "(errno N)", text)
    text = re.sub(r"\b\d+ MB/s", "<N> MB/s", text)  # a speed is never the same twice
    return text


def main():
    binary, case = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    expected_path = case[:-3] + ".out"
    # A fixed-length directory and a copy of the binary (not a link): the
    # manifest names the executable, and its length moves byte offsets, so
    # every build (release, ASan) must run from a path of the same length.
    tmp = tempfile.mkdtemp(prefix="ltl-golden-", dir="/tmp")
    try:
        bindir = os.path.join(tmp, ".bin")
        os.mkdir(bindir)
        shutil.copy2(binary, os.path.join(bindir, "ltl"))
        env = {
            "PATH": bindir + ":/usr/local/bin:/usr/bin:/bin",
            "HOME": tmp,
            "XDG_DATA_HOME": os.path.join(tmp, ".local/share"),
            "XDG_CONFIG_HOME": os.path.join(tmp, ".config"),
            "LTL_SYSTEM_CONFIG": os.path.join(tmp, "etc-ltl-config"),
            "NO_COLOR": "1",
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
            "CASE_DIR": os.path.dirname(case),
        }
        case_text = open(case).read()
        script = PRELUDE + case_text
        proc = subprocess.run(["bash", "-c", script], cwd=tmp, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        got = normalise(proc.stdout.decode("utf-8", "replace"), tmp, case_rules(case_text))
        if proc.returncode != 0:
            got += "[script exit %d]\n" % proc.returncode
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if os.environ.get("LTL_GOLDEN_UPDATE"):
        with open(expected_path, "w") as f:
            f.write(got)
        print("updated", expected_path)
        return 0
    try:
        expected = open(expected_path).read()
    except FileNotFoundError:
        print("missing", expected_path, "- run with LTL_GOLDEN_UPDATE=1 and review it")
        print(got)
        return 1
    if got != expected:
        sys.stdout.writelines(difflib.unified_diff(
            expected.splitlines(True), got.splitlines(True), "expected", "got"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
