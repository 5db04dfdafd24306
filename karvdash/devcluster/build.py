"""Build the dev cluster's control plane from Debian's ``kubernetes`` source package.

Kubernetes v1.20.2 is the newest full source any registry reachable here carries
(Debian bookworm's ``kubernetes`` source package, ``1.20.5+really1.20.2``). We build
kube-apiserver, kube-controller-manager and kube-scheduler once, in GOPATH mode, with
Debian's Go 1.19, into a cache outside the repository, and reuse them afterwards.

The steps follow what Kubernetes 1.20's own Makefile does, with two repairs:
the tarball lacks ``pkg/generated/openapi`` (we run the vendored openapi-gen), and the
vendored ``modern-go/reflect2`` v1.0.1 crashes under Go >= 1.18 (we replace it with
Debian's 1.0.2).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

KUBE_VERSION = "v1.20.2"
KUBE_SOURCE_PACKAGE = "kubernetes"
GO_ROOT = Path("/usr/lib/go-1.19")
DEBIAN_PACKAGES = (
    "golang-1.19-go",
    "etcd-server",
    "dpkg-dev",
    "golang-github-modern-go-reflect2-dev",
    "openssl",
)
BINARIES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
REFLECT2_DEBIAN = Path("/usr/share/gocode/src/github.com/modern-go/reflect2")
SRC_LIST = Path("/etc/apt/sources.list.d/karvdash-deb-src.sources")


class BuildError(RuntimeError):
    """The control plane cannot be built here; the message names the missing piece."""


def cache_root() -> Path:
    """Where Karvdash caches what it builds (``$KARVDASH_CACHE_DIR`` or ``~/.cache/karvdash``)."""
    explicit = os.environ.get("KARVDASH_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "karvdash" if xdg else Path.home() / ".cache" / "karvdash"


@dataclass(frozen=True)
class ControlPlaneBinaries:
    """Paths of the built (or found) control-plane programs."""

    bin_dir: Path
    etcd: Path

    @property
    def kube_apiserver(self) -> Path:
        return self.bin_dir / "kube-apiserver"

    @property
    def kube_controller_manager(self) -> Path:
        return self.bin_dir / "kube-controller-manager"

    @property
    def kube_scheduler(self) -> Path:
        return self.bin_dir / "kube-scheduler"


Progress = Callable[[str], None]


def _say(message: str) -> None:
    print(f"[karvdash] {message}", file=sys.stderr, flush=True)


def bin_dir() -> Path:
    return cache_root() / "controlplane" / KUBE_VERSION / "bin"


def is_built() -> bool:
    d = bin_dir()
    return (d / ".complete").exists() and all((d / b).exists() for b in BINARIES)


def find_etcd() -> Path | None:
    found = shutil.which("etcd")
    if found:
        return Path(found)
    for candidate in (Path("/usr/bin/etcd"), Path("/usr/sbin/etcd")):
        if candidate.exists():
            return candidate
    return None


def ensure_control_plane(progress: Progress = _say) -> ControlPlaneBinaries:
    """Return the control-plane binaries, building them first if the cache lacks them."""
    if not is_built():
        build_control_plane(progress)
    etcd = find_etcd()
    if etcd is None:
        _ensure_debian_packages(["etcd-server"], progress)
        etcd = find_etcd()
        if etcd is None:
            raise BuildError("etcd is missing: install Debian's etcd-server package")
    return ControlPlaneBinaries(bin_dir=bin_dir(), etcd=etcd)


def _check_debian(marker: Path = Path("/etc/debian_version"), apt: str = "apt-get") -> None:
    if not marker.exists() or shutil.which(apt) is None:
        raise BuildError(
            "the dev cluster builds Kubernetes from Debian's source package, but this "
            "machine is not Debian (no /etc/debian_version or apt-get); point Karvdash "
            "at an existing cluster instead: karvdash dev --kubeconfig PATH"
        )


def _missing_packages(packages: Sequence[str]) -> list[str]:
    missing = []
    for pkg in packages:
        res = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Status}", pkg],
            capture_output=True,
            text=True,
            check=False,
        )
        if "install ok installed" not in res.stdout:
            missing.append(pkg)
    return missing


def _apt(args: list[str], what: str) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    res = subprocess.run(["apt-get", *args], capture_output=True, text=True, env=env, check=False)
    if res.returncode != 0:
        tail = "\n".join(res.stderr.strip().splitlines()[-5:])
        raise BuildError(f"{what} failed (apt-get {' '.join(args)}):\n{tail}")


def _ensure_debian_packages(packages: Sequence[str], progress: Progress) -> None:
    missing = _missing_packages(packages)
    if not missing:
        return
    if os.geteuid() != 0:
        raise BuildError(
            f"Debian packages {', '.join(missing)} are missing and installing them "
            f"needs root: run `sudo apt-get install {' '.join(missing)}` first"
        )
    progress(f"installing Debian packages: {', '.join(missing)}")
    _apt(["update", "-q"], "refreshing Debian's package lists")
    _apt(["install", "-y", "-q", *missing], "installing Debian packages")


def _has_deb_src() -> bool:
    res = subprocess.run(
        ["apt-cache", "showsrc", KUBE_SOURCE_PACKAGE],
        capture_output=True,
        text=True,
        check=False,
    )
    return res.returncode == 0 and "really1.20.2" in res.stdout


def _ensure_deb_src(progress: Progress) -> None:
    if _has_deb_src():
        return
    if os.geteuid() != 0:
        raise BuildError(
            "Debian's source index (deb-src) is not configured and adding it needs root"
        )
    uris = _debian_mirror()
    progress(f"adding a deb-src entry for bookworm ({uris})")
    SRC_LIST.write_text(
        "Types: deb-src\n"
        f"URIs: {uris}\n"
        "Suites: bookworm bookworm-updates\n"
        "Components: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )
    _apt(["update", "-q"], "refreshing Debian's package lists")
    if not _has_deb_src():
        raise BuildError(
            "Debian's package registry does not offer the kubernetes 1.20.2 source "
            "package (apt-cache showsrc kubernetes); cannot build the control plane"
        )


def _debian_mirror() -> str:
    """The Debian mirror this machine already uses (never a new host)."""
    candidates = [Path("/etc/apt/sources.list")]
    candidates += sorted(Path("/etc/apt/sources.list.d").glob("*"))
    for path in candidates:
        if not path.is_file() or path == SRC_LIST:
            continue
        for line in path.read_text(errors="replace").splitlines():
            line = line.strip()
            if line.startswith("URIs:") and "/debian" in line and "security" not in line:
                return line.split(":", 1)[1].strip()
            if line.startswith("deb ") and "/debian" in line and "security" not in line:
                return line.split()[1]
    raise BuildError("no Debian mirror found in /etc/apt/sources.list*")


def _run_logged(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path,
    env: dict[str, str],
    log: Path,
    what: str,
    progress: Progress,
    heartbeat: float = 60.0,
) -> None:
    started = time.monotonic()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(heartbeat):
            progress(f"  ... still {what} ({time.monotonic() - started:.0f} s)")

    ticker = threading.Thread(target=beat, daemon=True)
    ticker.start()
    try:
        with log.open("ab") as out:
            out.write(f"\n$ {' '.join(map(str, cmd))}\n".encode())
            out.flush()
            res = subprocess.run(
                [str(c) for c in cmd], cwd=cwd, env=env, stdout=out, stderr=out, check=False
            )
    finally:
        stop.set()
    if res.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise BuildError(f"{what} failed (exit {res.returncode}); see {log}:\n{tail}")
    progress(f"  {what}: done in {time.monotonic() - started:.0f} s")


def openapi_input_dirs(tree: Path) -> list[str]:
    """The packages Kubernetes' Makefile feeds to openapi-gen for pkg/generated/openapi.

    Same rule as ``build/root/Makefile.generated_files``: every Go directory of the tree
    except ``vendor/``, ``_*`` and ``.*``, with ``staging/src/X`` named ``vendor/X``,
    without code-generator and sample-apiserver, holding a ``+k8s:openapi-gen=`` tag.
    """
    dirs: set[str] = set()
    for root, subdirs, files in os.walk(tree):
        rel = Path(root).relative_to(tree)
        if rel == Path("."):
            subdirs[:] = [d for d in subdirs if d != "vendor" and not d.startswith(("_", "."))]
        name = rel.as_posix()
        if name.startswith("staging/src/"):
            name = "vendor/" + name[len("staging/src/") :]
        if name.startswith(("vendor/k8s.io/code-generator", "vendor/k8s.io/sample-apiserver")):
            continue
        for f in files:
            if not f.endswith(".go"):
                continue
            if b"+k8s:openapi-gen=" in (Path(root) / f).read_bytes():
                dirs.add(name)
                break
    return sorted("k8s.io/kubernetes/" + d for d in dirs)


def _ldflags() -> str:
    major, minor = KUBE_VERSION.lstrip("v").split(".")[:2]
    stamp = {
        "gitVersion": KUBE_VERSION,
        "gitMajor": major,
        "gitMinor": minor,
        "gitTreeState": "clean",
        "gitCommit": "debian-" + KUBE_VERSION,
        "buildDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    flags = ["-s", "-w"]
    for pkg in ("component-base/version", "client-go/pkg/version"):
        for key, value in stamp.items():
            flags.append(f"-X k8s.io/kubernetes/vendor/k8s.io/{pkg}.{key}={value}")
    return " ".join(flags)


def build_control_plane(progress: Progress = _say) -> Path:
    """Build the three control-plane programs into the cache; return their folder."""
    _check_debian()
    progress(
        f"building the Kubernetes {KUBE_VERSION} control plane from Debian's source "
        "(once; about 10 minutes on 2 cores, cached afterwards in "
        f"{cache_root()})"
    )
    _ensure_debian_packages(DEBIAN_PACKAGES, progress)
    _ensure_deb_src(progress)
    if not (GO_ROOT / "bin" / "go").exists():
        raise BuildError(f"Go 1.19 not found at {GO_ROOT} (Debian package golang-1.19-go)")

    work = cache_root() / "controlplane" / KUBE_VERSION / "work"
    if work.exists():
        shutil.rmtree(work)
    download = work / "download"
    gopath = work / "gopath"
    tree = gopath / "src" / "k8s.io" / "kubernetes"
    download.mkdir(parents=True)
    tree.parent.mkdir(parents=True)
    log = work / "build.log"
    env = {
        "PATH": f"{GO_ROOT / 'bin'}:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(Path.home()),
        "GOPATH": str(gopath),
        "GO111MODULE": "off",
        "GOPROXY": "off",
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
        "GOCACHE": str(cache_root() / "go-build"),
        "LC_ALL": "C",
    }

    def run(cmd: Sequence[str | os.PathLike[str]], what: str, cwd: Path = tree) -> None:
        _run_logged(cmd, cwd=cwd, env=env, log=log, what=what, progress=progress)

    progress("downloading Debian's kubernetes source package (34 MB)")
    run(
        ["apt-get", "source", "--download-only", KUBE_SOURCE_PACKAGE],
        "downloading the source",
        cwd=download,
    )
    dscs = sorted(download.glob("kubernetes_*really1.20.2*.dsc"))
    if not dscs:
        raise BuildError(f"no kubernetes 1.20.2 .dsc was downloaded into {download}")
    run(
        ["dpkg-source", "-x", dscs[-1], tree],
        "unpacking the source",
        cwd=work,
    )

    progress("replacing vendored modern-go/reflect2 1.0.1 with Debian's 1.0.2")
    vendored = tree / "vendor" / "github.com" / "modern-go" / "reflect2"
    if not REFLECT2_DEBIAN.is_dir():
        raise BuildError(f"{REFLECT2_DEBIAN} missing (golang-github-modern-go-reflect2-dev)")
    shutil.rmtree(vendored)
    shutil.copytree(REFLECT2_DEBIAN, vendored, symlinks=False)
    for extra in ("go.mod", "go.sum"):
        (vendored / extra).unlink(missing_ok=True)

    progress("generating pkg/generated/openapi with the vendored openapi-gen")
    tools = work / "tools"
    run(
        [
            GO_ROOT / "bin" / "go",
            "build",
            "-o",
            tools / "openapi-gen",
            "k8s.io/kubernetes/vendor/k8s.io/kube-openapi/cmd/openapi-gen",
        ],
        "building openapi-gen",
    )
    inputs = openapi_input_dirs(tree)
    run(
        [
            tools / "openapi-gen",
            "--logtostderr",
            "-i",
            ",".join(inputs),
            "-p",
            "k8s.io/kubernetes/pkg/generated/openapi",
            "-O",
            "zz_generated.openapi",
            "-h",
            tree / "vendor/k8s.io/code-generator/hack/boilerplate.go.txt",
            "-r",
            work / "openapi-violations.report",
            "-o",
            gopath / "src",
        ],
        f"running openapi-gen over {len(inputs)} packages",
    )
    generated = tree / "pkg" / "generated" / "openapi" / "zz_generated.openapi.go"
    if not generated.exists():
        raise BuildError(f"openapi-gen did not write {generated}; see {log}")

    out = work / "bin"
    progress(
        "compiling kube-apiserver, kube-controller-manager and kube-scheduler "
        "(the long part: about 10 minutes from a cold Go cache on 2 cores)"
    )
    run(
        [
            GO_ROOT / "bin" / "go",
            "build",
            "-trimpath",
            "-ldflags",
            _ldflags(),
            "-o",
            str(out) + "/",
            *(f"k8s.io/kubernetes/cmd/{b}" for b in BINARIES),
        ],
        "compiling the control plane",
    )
    target = bin_dir()
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for b in BINARIES:
        shutil.copy2(out / b, target / b)
    (target / ".complete").write_text(KUBE_VERSION + "\n")
    shutil.rmtree(work)
    progress(f"control plane {KUBE_VERSION} ready in {target}")
    return target


def main() -> int:
    try:
        path = ensure_control_plane()
    except BuildError as exc:
        _say(f"error: {exc}")
        return 1
    print(path.bin_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
