#!/usr/bin/env python3
"""Every installed binary, and every subcommand of those that have some,
behaves alike on the command line and matches its man page:

  --help          usage on stdout, nothing on stderr, status 0
  --version       the project's version on stdout, status 0
  an unknown option, or an option without its value
                  a message on stderr, nothing on stdout, status 2
  the long options --help shows are exactly those its man page documents
  (docs/man/NAME.N: the OPTIONS section; for a subcommand, its .SS
  subsection), --help and --version aside.

Nothing is hard-coded: binaries come from `meson introspect --installed`
(executables), subcommands from the "commands:" list of `NAME --help`.
Usage: help-man.py BUILD_DIR SRC_DIR. Prints every difference, then fails.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

BUILD, SRC = sys.argv[1], sys.argv[2]
OPT = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
UNIVERSAL = {"--help", "--version"}
problems = []


def run(argv):
    # A private, empty run directory: nothing here may touch a real one.
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                       env=dict(ENV))
    return p.returncode, p.stdout, p.stderr


def options(text):
    return set(OPT.findall(text)) - UNIVERSAL


def with_values(text):
    """Options shown with a value: --opt VALUE (upper case or a|b|c)."""
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)[ =](?:[A-Z][A-Z0-9_.]*|[a-z]+\|[a-z|]+)\b", text))


def roff_text(line):
    line = line.replace("\\-", "-").replace("\\(em", "-").replace("\\e", "\\")
    return re.sub(r"\\f[BIRP]|\\f\(..|\\&|\\\||\\\^", "", line)


def man_sections(page):
    """{('SH', name) or ('SS', first word): text} of a roff man page."""
    out, key = {}, None
    for line in open(page, encoding="utf-8"):
        m = re.match(r'\.(SH|SS)\s+"?([^"\n]*)"?', line)
        if m:
            kind, title = m.group(1), roff_text(m.group(2)).strip()
            key = (kind, title if kind == "SH" else title.split()[0] if title else "")
            out.setdefault(key, "")
            if kind == "SS":
                out[key] += title + "\n"  # the title may show the options too
            continue
        if line.startswith(".SH"):
            key = None
        if key:
            out[key] += roff_text(line)
    return out


def check_cli(who, argv, want_version=False):
    rc, out, err = run(argv + ["--help"])
    if rc != 0 or not out.strip() or err:
        problems.append(f"{who} --help: status {rc}, {len(out)} bytes on stdout, stderr {err.strip()!r}")
    help_text = out
    if want_version:
        rc, out, err = run(argv + ["--version"])
        if rc != 0 or VERSION not in out:
            problems.append(f"{who} --version: status {rc}, printed {out.strip()!r}, want {VERSION}")
    rc, out, err = run(argv + ["--no-such-option"])
    if rc != 2 or out or not err.strip():
        problems.append(f"{who} --no-such-option: status {rc} (want 2), stdout {out.strip()!r}, "
                        f"stderr {err.strip()!r}")
    for o in sorted(with_values(help_text)):
        rc, out, err = run(argv + [o])
        if rc != 2 or not err.strip():
            problems.append(f"{who} {o} without its value: status {rc} (want 2), stderr {err.strip()!r}")
    return help_text


def compare(who, help_text, man_text, where):
    h, m = options(help_text), options(man_text)
    for o in sorted(h - m):
        problems.append(f"{who}: {o} is in --help but not in {where}")
    for o in sorted(m - h):
        problems.append(f"{who}: {o} is in {where} but not in --help")


def subcommands(help_text):
    cmds, inside = [], False
    for line in help_text.splitlines():
        if line.strip() == "commands:":
            inside = True
            continue
        if inside:
            if not line.startswith("  "):
                break
            word = line.split()[0]
            if word != "help" and not word.startswith("-"):
                cmds.append((word, line))
    return cmds


installed = json.loads(subprocess.run(["meson", "introspect", BUILD, "--installed"],
                                      capture_output=True, text=True, check=True).stdout)
VERSION = json.loads(subprocess.run(["meson", "introspect", BUILD, "--projectinfo"],
                                    capture_output=True, text=True, check=True).stdout)["version"]
binaries = sorted((os.path.basename(dst), src) for src, dst in installed.items()
                  if os.path.isfile(src) and os.access(src, os.X_OK) and src.startswith(BUILD))
if len(binaries) < 5:
    sys.exit(f"only {len(binaries)} installed executables found: {binaries}")

run_dir = tempfile.mkdtemp(prefix="help-man.")
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("XENSIM", "XENSTORE"))}
ENV.update(XENSIM_RUN_DIR=run_dir, XENSTORED_PATH=run_dir + "/none")
checked = 0
for name, path in binaries:
    pages = [f"{SRC}/docs/man/{name}.{s}" for s in "18" if os.path.exists(f"{SRC}/docs/man/{name}.{s}")]
    if not pages:
        problems.append(f"{name}: installed, but no docs/man/{name}.1 or .8")
        continue
    man = man_sections(pages[0])
    page = os.path.relpath(pages[0], SRC)
    help_text = check_cli(name, [path], want_version=True)
    checked += 1
    cmds = subcommands(help_text)
    if not cmds:
        if ("SH", "OPTIONS") not in man:
            problems.append(f"{name}: {page} has no OPTIONS section")
        compare(name, help_text, man.get(("SH", "OPTIONS"), ""), f"{page} OPTIONS")
        continue
    for cmd, listing in cmds:
        who = f"{name} {cmd}"
        sub_help = check_cli(who, [path, cmd], want_version=True)
        checked += 1
        if ("SS", cmd) not in man:
            problems.append(f"{who}: {page} has no .SS {cmd} subsection")
            continue
        compare(who, sub_help, man[("SS", cmd)], f"{page} .SS {cmd}")
        for o in sorted(options(listing) - options(sub_help)):
            problems.append(f"{name} --help lists {o} for {cmd}, which `{who} --help` does not show")

os.rmdir(run_dir) if not os.listdir(run_dir) else None
for p in problems:
    print("FAIL:", p)
if problems:
    sys.exit(1)
print(f"PASS: {checked} commands of {len(binaries)} installed binaries: --help, --version, "
      f"usage errors and man page options agree")
