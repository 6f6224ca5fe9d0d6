"""A non-editable install from the built wheel ships the top-level
templates/ and static/ folders: build the wheel from a clean copy of the
tracked files, install it into a fresh venv and render the panel from it."""
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.slow


def _tracked_files():
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"],
                         cwd=REPO, check=True, capture_output=True, text=True)
    return [f for f in out.stdout.splitlines()
            if os.path.isfile(os.path.join(REPO, f))]


def test_wheel_installs_and_renders_the_panel(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the tracked files")
    src = tmp_path / "src"
    for rel in _tracked_files():
        dest = src / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.join(REPO, rel), dest)
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                    "--outdir", str(dist), str(src)], check=True,
                   capture_output=True)
    wheels = list(dist.glob("consistency_dashboard-*.whl"))
    assert len(wheels) == 1

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)],
                   check=True)
    py = venv / "bin" / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
         "['purelib'])"], check=True, capture_output=True,
        text=True).stdout.strip()
    # Horizon and the test tools come from this venv; the plugin only from
    # the wheel.
    with open(os.path.join(site, "_horizon_from_test_venv.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps",
                    "--quiet", "--target", site, str(wheels[0])], check=True)
    assert os.path.isfile(os.path.join(
        site, "consistency_dashboard", "templates", "consistency_dashboard",
        "project", "_fix.html"))
    assert os.path.isfile(os.path.join(
        site, "consistency_dashboard", "static", "consistency_dashboard",
        "css", "consistency.scss"))
    # The message catalogue, where Django looks for an app's translations,
    # and the template filter that translates the core's words.
    assert os.path.isfile(os.path.join(
        site, "consistency_dashboard", "locale", "en", "LC_MESSAGES",
        "django.po"))
    assert os.path.isfile(os.path.join(
        site, "consistency_dashboard", "templatetags", "consistency_text.py"))

    # The view tests, run against the installed plugin (no source on path).
    run = tmp_path / "run"
    shutil.copytree(src / "tests", run / "tests")
    env = dict(os.environ, CONSISTENCY_EXPECT_INSTALLED_IN=site,
               DJANGO_SETTINGS_MODULE="tests.settings", PYTHONPATH=str(run))
    result = subprocess.run(
        [str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--rootdir", str(run), "-o", "addopts=",
         "-o", "DJANGO_SETTINGS_MODULE=tests.settings",
         str(run / "tests" / "test_images_tab.py")],
        cwd=str(run), env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
    assert "consistency_dashboard" not in os.listdir(run)
