"""The commands the DevStack stand-in (fake_devstack.sh) puts on PATH, in
one script: fake_tools.py ROLE [ENVDIR] ARGS...

  python ENVDIR  a Python environment (the system one, DEVSTACK_VENV or
                 PIP_VIRTUAL_ENV): `-m pip`, an importlib find_spec probe,
                 `manage.py` (recorded), anything else runs the real
                 interpreter
  pip ENVDIR     pip of that environment: install/uninstall, keeping
                 ENVDIR/site/<name> markers ("editable PATH", "copy PATH",
                 "index"); a requirement missing from the environment comes
                 from the package index and is logged as such
  sudo           runs its command (VAR=value words become its environment)
  apt-get        records the install into FAKE_ROOT/dpkg/<package>
  openstack      `image list/show/create/delete` against FAKE_ROOT/glance.json
                 (fails unless stack.sh started Glance: FAKE_GLANCE_UP);
                 FAKE_GLANCE_FAIL=<name> makes that upload die after Glance
                 created the record (left queued, as a failed upload leaves it)
  build          tools/guest-image/build.sh: needs mmdebstrap (dpkg marker),
                 FAKE_BUILD_FAIL=1 fails it; writes the image files

Every call is appended to FAKE_LOG.
"""

import configparser
import json
import os
import pathlib
import re
import sys

ROOT = pathlib.Path(os.environ["FAKE_ROOT"])


def log(line):
    with open(os.environ["FAKE_LOG"], "a") as f:
        f.write(line + "\n")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def installed(env, name):
    marker = pathlib.Path(env) / "site" / canonical(name)
    return marker.read_text() if marker.exists() else None


def mark(env, name, how):
    site = pathlib.Path(env) / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / canonical(name)).write_text(how)


def project(path):
    cfg = configparser.ConfigParser()
    cfg.read(pathlib.Path(path) / "setup.cfg")
    name = cfg.get("metadata", "name")
    reqs = [re.split(r"[<>=!~;\[ ]", line.strip())[0]
            for line in cfg.get("options", "install_requires", fallback="").splitlines()
            if line.strip()]
    return name, reqs


def pip(env, args):
    log("pip %s %s" % (env, " ".join(args)))
    if not args:
        return 1
    if args[0] == "uninstall":
        for name in [a for a in args[1:] if not a.startswith("-")]:
            marker = pathlib.Path(env) / "site" / canonical(name)
            if marker.exists():
                marker.unlink()
        return 0
    if args[0] != "install":
        return 0
    editable, targets, rest = False, [], iter(args[1:])
    for a in rest:
        if a in ("-c", "-r", "--constraint"):
            next(rest)
        elif a == "-e":
            editable = True
        elif not a.startswith("-"):
            targets.append(a)
    for t in targets:
        path = re.sub(r"\[.*\]$", "", t)
        if os.path.isdir(path):
            name, reqs = project(path)
            for req in reqs:
                if installed(env, req) is None:
                    log("pip %s: %s from the package index" % (env, req))
                    mark(env, req, "index")
            mark(env, name, "%s %s" % ("editable" if editable else "copy",
                                       os.path.realpath(path)))
        elif "/" in path:
            print("ERROR: Invalid requirement: %r: it looks like a path, but the "
                  "directory does not exist." % t, file=sys.stderr)
            return 1
        else:
            name = re.split(r"[<>=!~;\[ ]", t)[0]
            if installed(env, name) is None:
                log("pip %s: %s from the package index" % (env, name))
                mark(env, name, "index")
    return 0


def python(env, args):
    if args[:2] == ["-m", "pip"]:
        return pip(env, args[2:])
    if args[:1] == ["manage.py"]:
        log("manage.py %s cwd=%s python=%s" % (" ".join(args[1:]), os.getcwd(), env))
        return 0
    probe = re.search(r"find_spec\('([\w.]+)'\)", args[1]) if args[:1] == ["-c"] else None
    if probe:
        return 0 if installed(env, probe.group(1).split(".")[0]) is not None else 1
    os.execv(os.environ["FAKE_REAL_PYTHON"], [os.environ["FAKE_REAL_PYTHON"]] + args)


def sudo(args):
    while args and args[0].startswith("-"):
        args = args[1:]
    env = dict(os.environ)
    while args and re.match(r"^\w+=", args[0]):
        key, _, value = args[0].partition("=")
        env[key] = value
        args = args[1:]
    log("sudo %s" % " ".join(args))
    os.execvpe(args[0], args, env)


def apt_get(args):
    pkgs = [a for a in args if not a.startswith("-") and "=" not in a]
    log("apt-get %s" % " ".join(pkgs))
    if pkgs[:1] == ["install"]:
        dpkg = ROOT / "dpkg"
        dpkg.mkdir(exist_ok=True)
        for p in pkgs[1:]:
            (dpkg / p).write_text("")
    return 0


def glance_db():
    path = ROOT / "glance.json"
    return json.loads(path.read_text()) if path.exists() else []


def save_glance(images):
    (ROOT / "glance.json").write_text(json.dumps(images))


def option(args, name):
    return args[args.index(name) + 1] if name in args else None


def openstack(args):
    log("openstack %s" % " ".join(args))
    if not os.environ.get("FAKE_GLANCE_UP"):
        print("Failed to discover available identity versions / no image service", file=sys.stderr)
        return 1
    images = glance_db()
    words, rest = [], iter(args)
    for a in rest:           # global options: --os-cloud=X or --os-cloud X
        if a.startswith("--os-"):
            if "=" not in a:
                next(rest)
        else:
            words.append(a)
    if words[:2] == ["image", "list"]:
        name = option(words, "--name")
        for img in images:
            if name is None or img["name"] == name:
                print("%s %s" % (img["id"], img["status"]))
        return 0
    if words[:2] == ["image", "show"]:
        found = [i for i in images if i["name"] == words[-1] or i["id"] == words[-1]]
        if len(found) != 1:
            print("No Image found for %s" % words[-1] if not found
                  else "More than one image exists with the name '%s'." % words[-1],
                  file=sys.stderr)
            return 1
        print(found[0]["id"])
        return 0
    if words[:2] == ["image", "delete"]:
        save_glance([i for i in images if i["id"] not in words[2:]])
        return 0
    if words[:2] == ["image", "create"]:
        # OSC's positional NAME may come first or last
        values = {"--container-format", "--disk-format", "--file", "--property",
                  "-f", "-c", "--os-cloud", "--os-region-name"}
        positional = [a for i, a in enumerate(words[2:], 2)
                      if not a.startswith("-") and words[i - 1] not in values]
        name = positional[0]
        props = dict(p.split("=", 1) for i, p in enumerate(words)
                     if words[i - 1] == "--property")
        img = {"id": "id-%s-%d" % (name, len(images)), "name": name,
               "status": "importing" if "--import" in words else "active",
               "disk_format": option(words, "--disk-format"),
               "file": option(words, "--file"), "properties": props,
               "import": "--import" in words}
        if os.environ.get("FAKE_GLANCE_FAIL") == name:
            img["status"] = "queued"
            save_glance(images + [img])
            print("HttpException: 503: upload of %s failed" % name, file=sys.stderr)
            return 1
        save_glance(images + [img])
        if option(words, "-c") == "id":
            print(img["id"])
        else:
            print("| id | %s |" % img["id"])
        return 0
    return 0


def build(args):
    cache = pathlib.Path(os.environ.get("CONSISTENCY_CACHE_DIR",
                                        "/var/cache/consistency-dashboard"))
    log("build.sh %s CONSISTENCY_CACHE_DIR=%s" % (" ".join(args), cache))
    if os.environ.get("FAKE_BUILD_FAIL") == "1" or not (ROOT / "dpkg" / "mmdebstrap").exists():
        print("guest-image: mmdebstrap missing; run install-deps.sh", file=sys.stderr)
        return 1
    out = cache / "guest-image"
    out.mkdir(parents=True, exist_ok=True)
    for f in ("vmlinuz", "initrd.img", "rootfs.raw"):
        (out / f).write_bytes(b"x")
    (out / "manifest.json").write_text(json.dumps(
        {"kernel_cmdline": "console=ttyS0 root=/dev/vda rw init=/sbin/consistency-init"}))
    if "--print-dir" in args:
        print(out)
    return 0


def main(argv):
    role, args = argv[0], argv[1:]
    if role in ("python", "pip"):
        return (python if role == "python" else pip)(args[0], args[1:])
    return {"sudo": sudo, "apt-get": apt_get, "openstack": openstack,
            "build": build}[role](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
