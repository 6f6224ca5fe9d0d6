"""The demo's first command must work alone on a fresh Debian 12 machine:
every host tool that democloud/demo.sh and the guest image build
(tools/guest-image/build.sh, which demo.sh runs) call must come from the
demo's own Debian package list (APT_PACKAGES, or VOLUME_APT_PACKAGES for the
Ceph/Cinder pieces), or from an Essential package that every Debian has.

The scripts are read, not run: a small shell lexer finds the words in
command position, and each is looked up in COMMANDS below.  A tool that is
not in the table fails the test too, so a new tool has to be placed (its
Debian package, or a reason it needs none) before it can be used.
"""

import pathlib
import re
import shlex

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
DEMO_SH = REPO / "democloud" / "demo.sh"
# Scripts that run on the host when `democloud/demo.sh up` runs.
HOST_SCRIPTS = (DEMO_SH, REPO / "tools" / "guest-image" / "build.sh")

# Essential: yes (or Priority: required, in every debootstrap --variant=minbase
# and in the debian:12 container image): never listed.
ESSENTIAL = frozenset({
    "coreutils", "util-linux", "bash", "dash", "grep", "sed", "findutils",
    "dpkg", "debianutils", "mawk", "tar", "gzip", "apt", "mount", "hostname",
    "diffutils", "login",
})

# command -> the Debian packages any one of which provides it.
COMMANDS = {
    # coreutils
    **{c: ("coreutils",) for c in (
        "cat", "cp", "mv", "rm", "mkdir", "ls", "ln", "chmod", "chown", "date",
        "sleep", "stat", "sha256sum", "cut", "tr", "tail", "head", "sort",
        "basename", "dirname", "mktemp", "mknod", "install", "du", "id", "env",
        "nohup", "chroot", "timeout", "seq", "touch", "tee", "wc", "true",
        "false", "printf", "echo", "od", "dd", "sync")},
    # util-linux
    **{c: ("util-linux",) for c in ("flock", "setsid", "unshare", "mount", "umount")},
    "grep": ("grep",), "sed": ("sed",), "awk": ("mawk",), "find": ("findutils",),
    "xargs": ("findutils",),
    "dpkg-query": ("dpkg",), "apt-get": ("apt",), "apt-cache": ("apt",),
    "bash": ("bash",), "sh": ("dash",),
    # the demo's own packages
    "curl": ("curl",), "git": ("git",),
    "pgrep": ("procps",), "pkill": ("procps",), "ps": ("procps",),
    "ss": ("iproute2",), "ip": ("iproute2",),
    "mariadb": ("mariadb-client",), "mariadbd": ("mariadb-server",),
    "mariadb-install-db": ("mariadb-server",),
    "rabbitmq-server": ("rabbitmq-server",), "rabbitmqctl": ("rabbitmq-server",),
    "epmd": ("erlang-base", "rabbitmq-server"),  # a dependency of rabbitmq-server
    "virsh": ("libvirt-clients",),
    "libvirtd": ("libvirt-daemon", "libvirt-daemon-system"),
    "virtlogd": ("libvirt-daemon", "libvirt-daemon-system"),
    "qemu-img": ("qemu-utils",),
    "mmdebstrap": ("mmdebstrap",),
    "mke2fs": ("e2fsprogs",), "mkfs.ext4": ("e2fsprogs",),
    # volumes: single-node Ceph and RBD
    "ceph-mon": ("ceph-mon",), "ceph-mgr": ("ceph-mgr",), "ceph-osd": ("ceph-osd",),
    "ceph": ("ceph-common",), "ceph-authtool": ("ceph-common",), "rbd": ("ceph-common",),
    "monmaptool": ("ceph-base",), "ceph-conf": ("ceph-common",),
}

# Words in command position that are not host tools: shell builtins and
# keywords, the scripts' own functions (found separately), and a few
# positions the lexer cannot tell from commands.
NOT_TOOLS = frozenset({
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done",
    "case", "esac", "in", "function", "select", "time", "{", "}", "!", "[", "[[",
    "]]", "test", "local", "export", "declare", "readonly", "return", "exit",
    "set", "shift", "trap", "wait", "kill", "read", "cd", "exec", "command",
    "source", ".", ":", "eval", "unset", "break", "continue", "type", "printf",
    "echo", "true", "false", "pwd", "umask",
})
# Wrappers whose operand is another command, and their options taking a value.
WRAPPERS = {"nohup": (), "setsid": (), "timeout": ("-s", "-k"), "exec": (),
            "command": (), "unshare": ("--propagation",), "time": ()}
SEPARATORS = {";", "&&", "||", "|", "&", "(", ";;", "{", "}", "!", "|&"}
KEYWORDS_BEFORE_COMMAND = {"then", "do", "else", "elif", "if", "while", "until",
                           "time"}


def strip_heredocs(text):
    """The script without the bodies of here-documents (file contents, not
    commands)."""
    out, end = [], None
    for line in text.splitlines():
        if end is not None:
            if line.strip() == end:
                end = None
            continue
        m = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", line)
        if m:
            end = m.group(1)
        out.append(line)
    return "\n".join(out)


def substitutions(line):
    """(the line with each $(...) replaced by a placeholder word, the
    commands inside them)."""
    inner, out, i = [], [], 0
    while i < len(line):
        if line.startswith("$(", i) and not line.startswith("$((", i):
            depth, j = 1, i + 2
            while j < len(line) and depth:
                depth += {"(": 1, ")": -1}.get(line[j], 0)
                j += 1
            inner.append(line[i + 2:j - 1])
            out.append("SUBST")
            i = j
        else:
            out.append(line[i])
            i += 1
    return "".join(out), inner


def logical_lines(text):
    """Lines with continuations joined, comments and multi-line array
    assignments dropped."""
    text = strip_heredocs(text).replace("\\\n", " ")
    lines, in_array = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if in_array:
            in_array = ")" not in stripped
            continue
        if re.match(r"^[\w\[\]]+\+?=\(", stripped):  # NAME=(... or NAME+=(...
            in_array = ")" not in stripped.split("=(", 1)[1]
            continue
        if stripped.startswith("#") or not stripped:
            continue
        # a case pattern ("up)", "block | char | virtio)", "--force)")
        line = re.sub(r"^\s*[^\s()'\"$=#][^()'\"$=#]*\)", " ", line)
        lines.append(line)
    return lines


def commands_in(line):
    """The words in command position in one logical line."""
    line, inner = substitutions(line)
    found = []
    for sub in inner:
        found.extend(commands_in(sub))
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:  # an unbalanced quote inside a substitution's remains
        tokens = line.split()
    expect, skip_until, wrapper_opts, case_pattern = True, None, None, False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if skip_until:
            if tok in skip_until:
                skip_until = None
                expect = tok in (";", "do") or tok in SEPARATORS
                case_pattern = tok == "in"
            continue
        if case_pattern:  # a case pattern runs up to its ')'
            if tok == ")":
                case_pattern, expect = False, True
            continue
        if tok == ")":  # the end of a subshell: what follows are redirections
            expect = False
            continue
        if tok in ("[", "[[") and expect:  # a test's operands are not commands
            skip_until = {"]", "]]"}
            expect = False
            continue
        if tok == "!" and not expect:  # an argument (find ... ! -name), not a negation
            continue
        if tok in SEPARATORS or tok in KEYWORDS_BEFORE_COMMAND:
            if tok == ";;":
                case_pattern = True
            expect = True
            continue
        if tok in ("<", ">", ">>", ">&", "<&", "&>", "<<", "<<<", "<>", "2>", ">|"):
            i += 1  # the file name after a redirection
            continue
        if not expect:
            continue
        if tok in ("fi", "done", "esac"):
            continue
        if wrapper_opts is not None:
            if tok in wrapper_opts:
                i += 1
                continue
            if tok.startswith("-") or tok.isdigit():
                continue
            wrapper_opts = None
        if re.match(r"^\w+(\[[^\]]*\])?\+?=", tok):  # an assignment before the command
            continue
        if tok in ("for", "select"):
            skip_until = {";", "do"}
            continue
        if tok == "case":
            skip_until = {"in"}
            continue
        if tok in ("local", "export", "declare", "readonly"):
            expect = False
            continue
        if tok in WRAPPERS:
            wrapper_opts = WRAPPERS[tok]
            found.append(tok)
            continue
        expect = False
        if tok.startswith(("$", "SUBST")) or "$" in tok:
            continue  # a venv's tool ("$OSV/bin/..."), "$@": not from Debian
        if tok in ("sh", "bash") and "-c" in tokens[i:i + 2]:
            found.append(tok)
            at = tokens.index("-c", i) + 1
            if at < len(tokens):
                found.extend(commands_in(tokens[at]))
            i = at + 1
            continue
        if tok == "chroot":  # the command after the tree runs inside the guest
            found.append(tok)
            skip_until = set(SEPARATORS)
            continue
        found.append(tok.rsplit("/", 1)[-1] if tok.startswith("/") else tok)
    return found


def functions_of(text):
    return set(re.findall(r"^\s*([A-Za-z_][\w-]*)\s*\(\)", text, re.M))


def array_of(text, name):
    m = re.search(r"^%s=\(([^)]*)\)" % name, text, re.M)
    assert m, "%s=( ... ) not found in demo.sh" % name
    return m.group(1).split()


def host_tools(path):
    text = path.read_text()
    funcs = functions_of(text)
    tools = set()
    for line in logical_lines(text):
        tools.update(c for c in commands_in(line) if c not in funcs)
    return tools - NOT_TOOLS


def demo_packages():
    text = DEMO_SH.read_text()
    return set(array_of(text, "APT_PACKAGES")) | set(array_of(text, "VOLUME_APT_PACKAGES"))


@pytest.mark.parametrize("script", HOST_SCRIPTS, ids=lambda p: p.name)
def test_every_host_tool_of_the_demo_is_in_its_own_package_list(script):
    packages = demo_packages() | ESSENTIAL
    unknown = sorted(t for t in host_tools(script) if t not in COMMANDS)
    assert not unknown, (
        "%s calls %s: add each to COMMANDS in this test with its Debian "
        "package (and the package to democloud/demo.sh APT_PACKAGES)" % (script.name, unknown))
    missing = sorted("%s (%s)" % (t, " or ".join(COMMANDS[t]))
                     for t in host_tools(script)
                     if not set(COMMANDS[t]) & packages)
    assert not missing, "%s calls tools whose package is not in the demo's list: %s" % (
        script.name, missing)


def test_the_guest_image_build_tools_are_in_the_demo_list_not_only_the_tests_list():
    # the cause of the newcomer's failure: mmdebstrap came only with the
    # test command's guest dependencies (tools/guest-image/install-deps.sh)
    tools = host_tools(REPO / "tools" / "guest-image" / "build.sh")
    assert {"mmdebstrap", "mke2fs"} <= tools
    assert {"mmdebstrap", "e2fsprogs"} <= set(array_of(DEMO_SH.read_text(), "APT_PACKAGES"))


def test_the_demo_venv_has_the_openstack_client_its_readme_uses():
    text = DEMO_SH.read_text()
    pkgs = re.search(r"^OS_PKGS=\(([^)]*)\)", text, re.M).group(1).split()
    assert "python-openstackclient" in [p.split("==")[0] for p in pkgs]
    readme = (REPO / "democloud" / "README.md").read_text()
    assert "$CONSISTENCY_DEMO_VENV/bin/openstack" in readme
    assert "CONSISTENCY_DEMO_VENV=$OSV" in text  # `demo.sh env` exports it


@pytest.mark.parametrize("line, expected", [
    ("mmdebstrap --mode=root x", ["mmdebstrap"]),
    ('if ! pid_alive mariadb; then start_bg x mariadbd --x; fi', ["pid_alive", "start_bg"]),
    ('kill "$(cat "$RUN/x.pid")" 2>/dev/null || true', ["cat", "kill", "true"]),
    ("timeout 20 virsh -c qemu:///system list", ["timeout", "virsh"]),
    ("unshare -m --propagation private sh -c 'mount --bind a b && exec libvirtd -d'",
     ["unshare", "sh", "mount", "exec", "libvirtd"]),
    ('chroot "$root" depmod "$v"', ["chroot"]),
    ('X=1 "$OSV/bin/nova-manage" db sync', []),
    ("/usr/lib/rabbitmq/bin/rabbitmqctl -q stop", ["rabbitmqctl"]),
    ("for p in $(pgrep -x libvirtd || true); do kill -9 $p; done", ["pgrep", "true", "kill"]),
], ids=["plain", "if-then", "substitution", "timeout", "unshare-sh-c", "chroot",
        "venv-tool", "absolute-path", "for-loop"])
def test_the_lexer_finds_commands(line, expected):
    assert commands_in(line) == expected


def test_a_tool_missing_from_the_list_is_caught(tmp_path):
    script = tmp_path / "demo.sh"
    script.write_text("do_x() {\n  mmdebstrap a b\n  ceph-mon --mkfs\n}\n")
    tools = host_tools(script)
    assert tools == {"mmdebstrap", "ceph-mon"}
    without = {"mmdebstrap"}
    assert [t for t in tools if not set(COMMANDS[t]) & (without | ESSENTIAL)] == ["ceph-mon"]
