"""A resident `notes lint`: a process that has imported the parser and the rules forks a child for each command, so
that a lint after an edit costs Python's start and the lint, not the imports (Mercurial's chg, a fork server).

Why: `notes lint` on a small file that changed is 100 ms here, and 80 % of it is imports (click, markdown-it, the
stdlib they load, the rules); their floor alone, without any notes-builder code, is above 80 ms on this machine
(benchmarks/lint.py prints it). A client that imports nothing heavy hands its command line to the resident
process, whose child runs the ordinary click command with the client's terminal (its stdin, stdout and stderr are
passed over the socket), working folder, environment and umask, and reports the exit code: the output is the one
the command prints itself, byte for byte.

- Started by the first `notes lint` that found none (after its own run, detached), one per interpreter setting (the
  key: Python, its flags and import path, the user, the PYTHON*, LANG and LC_* variables). It ends after
  IDLE_SECONDS without a command, when its socket is removed, or when its code changed: each child first compares
  the package's files and every loaded module's file with what the resident process imported (lint/record.py's
  stamp); on a change the client lints itself and the resident process ends.
- Never used for `--interactive` (the child is not in the terminal's foreground), with interpreter options other
  than `-m`, on a system without fork and Unix sockets, when NOTES_LINT_SERVER=0, or when CI is set (a one-off run
  would leave it waiting); then the command runs in its own process, as always.
- The socket lies in a folder of the user's own (mode 0700, checked), and the resident process serves only its
  user (SO_PEERCRED).
- The exchange: the client sends its request; the child answers "stale" or "ready" (its pid, for Ctrl-C); only
  then does the client send the go-ahead with its standard streams, so that a resident process that does not
  answer within _HANDSHAKE_SECONDS (stopped, overloaded) holds none of them open and never runs a command its
  client has given up on (and runs itself); at the end the child sends the exit code.

The client half (answer, start) imports only builtin modules: it runs before click is imported.
"""

from __future__ import annotations

import marshal
import os
import stat  # already loaded by os
import struct
import sys
import zlib

try:  # the C modules behind socket and signal: their Python wrappers import enum, 8 M instructions
    import _signal
    import _socket
except ImportError:  # pragma: no cover - a Python without them has no server
    _socket = None  # type: ignore[assignment]

SWITCH = "NOTES_LINT_SERVER"  # "0": never use or start one
IDLE_SECONDS = 600
STALE_EXIT = 75  # a child's exit status that says the code changed: the resident process ends
_HEADER = struct.Struct("<I")
# the child's replies: b"R" + its pid (ready: it runs once the client says b"G"), b"S" (its code is stale: lint
# yourself), b"X" + the exit code at the end
_REPLY = struct.Struct("<ci")
_HANDSHAKE_SECONDS = 2.0  # a resident process that does not answer by then (stopped, overloaded) is passed by
_INTERACTIVE = ("-i", "--interactive")
_FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM")
_PATH_LIMIT = 104  # bytes of a Unix socket's path (sun_path: 108 on Linux, 104 on macOS and the BSDs)


def usable(argv: list[str]) -> bool:
    """Whether this command line may go to a resident process: `notes lint` without --interactive, run plainly."""
    if len(argv) < 2 or argv[1] != "lint" or _socket is None or sys.platform != "linux":
        return False
    if os.environ.get(SWITCH) == "0" or os.environ.get("CI"):
        return False
    # a cluster of short flags (-hi) counts too; so does a path named like one: that only costs the resident run
    if any(arg in _INTERACTIVE or (arg.startswith("-") and not arg.startswith("--") and "i" in arg)
           for arg in argv[2:]):
        return False
    return _interpreter_options() is not None


def answer(argv: list[str]) -> int | str:
    """Run the command line in the resident process: its exit code; or, where it did not run there, why not:
    "absent" (no resident process listens: start one), "stale" (its code changed: it ends; start another) or
    "declined" (it could not serve this client: do not start one). The caller then runs the command itself."""
    try:
        key = _key()
        request = _request(argv, key)
        path = socket_path(key)
        if path is None:
            return "declined"
        connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        connection.settimeout(_HANDSHAKE_SECONDS)
        try:
            connection.connect(path)
        except OSError:
            return "absent"
        connection.sendall(_HEADER.pack(len(request)) + request)
        kind, pid = _REPLY.unpack(_read(connection, _REPLY.size))
        if kind != b"R":
            return "stale" if kind == b"S" else "declined"
        # the go-ahead, with this process's standard streams: a child never runs for a client that gave up waiting
        # (and then runs the command itself), and a resident process that does not answer holds none of them
        connection.sendmsg([b"G"], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, struct.pack("3i", 0, 1, 2))])
        connection.settimeout(None)
    except (OSError, ValueError, struct.error):  # no /proc, a closed standard stream, no answer in time
        return "declined"
    forwarded: list[int] = []
    restore = _forwarding(pid, forwarded)
    try:
        kind, code = _REPLY.unpack(_read(connection, _REPLY.size))
    except (OSError, ValueError, struct.error):
        kind, code = b"", 0
    finally:
        restore()
    if kind == b"X":
        return code
    if forwarded:  # a signal ended the command (SIGTERM, SIGQUIT...): end this process with it, as it would have
        _signal.signal(forwarded[-1], _signal.SIG_DFL)
        os.kill(os.getpid(), forwarded[-1])
    os.write(2, b"notes: the resident lint process stopped before the end of the command; run it again, "
                b"or with NOTES_LINT_SERVER=0\n")
    return 70


def start() -> None:
    """Start a resident process for this interpreter's setting, detached (a new session, its standard streams on
    /dev/null); nothing where one cannot be. It exits at once when another one holds the setting's lock."""
    options = _interpreter_options()
    try:
        path = socket_path(_key())
    except OSError:  # no /proc
        return
    if options is None or path is None:
        return
    code = (f"import sys; sys.path[:] = {_import_path()!r}\n"
            f"from notes_builder.lint.server import serve; serve({path!r})")
    if sys.flags.utf8_mode and "PYTHONUTF8" not in os.environ:
        # Python took UTF-8 mode from a C locale, which it coerced (PEP 538: LC_CTYPE=C.UTF-8 in the variables the
        # resident process inherits, where it would find no C locale): it is asked for explicitly
        options = [*options, "-X", "utf8"]
    null = os.devnull
    try:  # noqa: SIM105 - no contextlib in the client: its import is a tenth of the client's start
        os.posix_spawn(sys.executable, [sys.executable, *options, "-c", code], os.environ, setsid=True,
                       file_actions=[(os.POSIX_SPAWN_OPEN, fd, null, os.O_RDWR, 0) for fd in (0, 1, 2)])
    except OSError:
        pass


def socket_path(key: bytes) -> str | None:
    """The socket of the setting `key` (_key), in a folder only this user can enter (None without one)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = (os.path.join(base, "notes-builder") if base and os.path.isdir(base)
              else os.path.join("/tmp", f"notes-builder-{os.getuid()}"))
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    if info.st_uid != os.getuid() or (info.st_mode & 0o077) or not stat.S_ISDIR(info.st_mode):
        return None  # someone else's, open to others, or a link: no socket there
    path = os.path.join(folder, f"lint-{zlib.crc32(key):08x}.sock")
    return path if len(os.fsencode(path)) < _PATH_LIMIT else None


def _key() -> bytes:
    """What a resident process must share with its clients to behave as their own process would: Python, its flags
    and import path (relative entries made absolute: `python -c` imports from its working folder), the variables
    that set how Python starts and what it loads (PYTHON*, LANG, LC_*, LD_*), and the process's context
    (_context)."""
    environment = sorted((name, value) for name, value in os.environ.items()
                         if name.startswith(("PYTHON", "LC_", "LD_")) or name == "LANG")
    # repr, not marshal: marshal's bytes for equal values differ with their objects' reference counts
    return repr((sys.executable, sys.version, _import_path(), tuple(sys.flags), environment,
                 _context())).encode("utf-8", "surrogatepass")


def _import_path() -> list[str]:
    return [os.path.abspath(entry) if isinstance(entry, str) else entry for entry in sys.path]


def _context() -> tuple:
    """What the kernel gives a process that its children inherit and a command could notice: ids and groups,
    capabilities and seccomp, namespaces and root (what `/` and the files are), cgroup, CPUs, nice and scheduling,
    resource limits, and the signals it ignores or blocks. A resident process is started by a client, so it has
    that client's; another client with other ones is not served by it. Without /proc to read: OSError (no
    resident process, since one could not tell a namespace or a blocked signal apart)."""
    ids = (os.getuid(), os.geteuid(), os.getgid(), os.getegid(), tuple(sorted(os.getgroups())))
    kernel: list[str] = []
    with open("/proc/self/status", encoding="ascii", errors="replace") as status:
        for line in status:
            if line.startswith(("SigIgn", "SigBlk")):  # ignored and blocked signals (SIGCHLD too), 1 to 31:
                name, _, mask = line.partition(":")  # glibc's own (32, 33) differ with how a process began
                kernel.append(f"{name}:{int(mask, 16) & 0x7FFFFFFF:x}")
            elif line.startswith(("Cap", "NoNewPrivs", "Seccomp", "Cpus_allowed")):
                kernel.append(line)
    with open("/proc/self/cgroup", encoding="ascii", errors="replace") as cgroup:
        kernel.append(cgroup.read())
    kernel += [os.readlink(f"/proc/self/ns/{name}") for name in ("mnt", "user", "pid", "net", "uts", "ipc")]
    limits = []
    try:
        import resource

        limits = [resource.getrlimit(getattr(resource, name)) for name in dir(resource) if name.startswith("RLIMIT_")]
    except (ImportError, OSError, ValueError):
        pass
    root = os.stat("/")  # a chroot
    scheduling = (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority)
    return ids, kernel, (root.st_dev, root.st_ino), os.getpriority(os.PRIO_PROCESS, 0), scheduling, limits


def _interpreter_options() -> list[str] | None:
    """The interpreter options of this process's command line (`python -m notes_builder` and the `notes` script
    have none): None when there are any, which the resident process would have to repeat."""
    original = getattr(sys, "orig_argv", None)
    if not original or len(original) < len(sys.argv):
        return None
    options = original[1:len(original) - len(sys.argv)]
    if options in ([], ["-m"], ["-c"]):
        return []
    return None


def _request(argv: list[str], key: bytes) -> bytes:
    streams = []
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if stream is None:
            raise ValueError("a standard stream is closed")
        streams.append((stream.encoding, stream.errors, stream.line_buffering, stream.write_through))
    umask = os.umask(0o022)
    os.umask(umask)
    return marshal.dumps({"key": key, "argv": argv, "prog": _program_name(), "cwd": os.getcwd(),
                          "environment": dict(os.environ), "umask": umask, "streams": streams})


def _program_name() -> str:
    """The name click would show in its usage lines for this process (click.utils._detect_program_name)."""
    main = sys.modules.get("__main__")
    package = getattr(main, "__package__", None)
    path = sys.argv[0]
    if not package:
        return os.path.basename(path)
    name = os.path.splitext(os.path.basename(path))[0]
    module = package if name == "__main__" else f"{package}.{name}"
    return f"python -m {module.lstrip('.')}"


def _read(connection, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ValueError("connection closed")
        data += chunk
    return data


def _forwarding(pid: int, forwarded: list[int]):
    """Send the signals that end or stop a command (Ctrl-C, Ctrl-\\, Ctrl-Z, a closed terminal, kill) to the child
    running it, noting each in `forwarded`; returns the function that puts the previous handlers back. Signals this
    process ignores stay ignored (the resident process of its setting ignores them too: see _key). A client killed
    outright (SIGKILL) ends its child too: the resident process watches their connection."""
    def send(signum: int) -> None:
        try:  # noqa: SIM105 - no contextlib in the client: its import is a tenth of the client's start
            os.kill(pid, signum)
        except OSError:  # it has ended
            pass

    def forward(signum, frame):
        forwarded.append(signum)
        send(signum)

    def stop(signum, frame):  # Ctrl-Z: stop the child with this process, which stops as the terminal would have it
        send(_signal.SIGSTOP)  # (the child's process group is orphaned: a SIGTSTP would not stop it)
        _signal.signal(_signal.SIGTSTP, _signal.SIG_DFL)
        os.kill(os.getpid(), _signal.SIGTSTP)  # stops here; or not at all, as an orphaned process group's job
        _signal.signal(_signal.SIGTSTP, stop)
        send(_signal.SIGCONT)

    handlers = {getattr(_signal, name): forward for name in _FORWARDED}
    handlers.update({_signal.SIGTSTP: stop, _signal.SIGCONT: lambda signum, frame: send(_signal.SIGCONT)})
    previous = {}
    for signum, handler in handlers.items():
        if _signal.getsignal(signum) != _signal.SIG_IGN:
            previous[signum] = _signal.signal(signum, handler)
    return lambda: [_signal.signal(signum, handler) for signum, handler in previous.items()]


# The resident process. Everything below runs only there (and in its children).


def serve(path: str) -> None:
    """The resident process: import what `notes lint` runs, then fork a child per command until idle, stale or
    replaced. Called by the command line that start() spawns, with the socket path its client computed."""
    import contextlib
    import fcntl
    import gc
    import select
    import signal
    import socket
    import time

    os.chdir("/")  # hold no user folder
    os.closerange(3, 1 << 16)  # nor any file its starter had open that a spawned process inherits (a CI log's pipe)
    key = _key()
    if socket_path(key) != path:  # this process's setting is not the client's: it would never be asked
        return
    lock = open(path + ".lock", "a")  # noqa: SIM115 - held for the process's life
    for _attempt in range(30):  # a resident process that just found its code stale is still ending
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            time.sleep(0.1)
    else:
        return
    if _replaced(path + ".lock", os.fstat(lock.fileno()).st_ino):
        return  # its folder was removed (or the file replaced) while it waited: the lock it holds is no one's
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")  # which process this is, for a person (or a test) looking
    lock.flush()
    from notes_builder import content
    from notes_builder.cli import cli
    from notes_builder.lint import record

    cli.get_command(None, "lint")  # type: ignore[arg-type]  # the command and what it imports for a lint
    import notes_builder.lint.engine  # noqa: F401  - loaded by a lint that its record does not answer
    import notes_builder.lint.run  # noqa: F401

    content._parser()  # the one Markdown parser (settings only: a parse keeps its state in its own tokens)

    code = _code(record._stamp.__wrapped__())
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    identity = os.stat(path).st_ino
    gc.freeze()  # what the imports made is shared with every child, never scanned again
    # each running child's connection, watched for its client's end: a client killed outright (SIGKILL, a crash)
    # ends its child, as it would have ended its own process. POLLRDHUP: the client closed its end, whatever the
    # child has yet to read (a thread in the child would keep lint's checker from forking: checker._two_cpus).
    # And each child's pidfd, readable when it ends: this process then drops its copy of the connection at once,
    # so that a client whose command died of a signal sees it end without waiting for the next tick.
    watched = select.poll()
    watched.register(listener, select.POLLIN)
    running: dict[int, tuple[socket.socket, int, int | None]] = {}  # connection's fd -> (it, pid, pidfd)
    last = time.monotonic()
    while True:
        ended, stale = _reaped()
        for fd, (_connection, pid, _pidfd) in list(running.items()):
            if pid in ended:
                _forget(watched, running, fd)
        if stale or (not running and time.monotonic() - last > IDLE_SECONDS) or _replaced(path, identity):
            break
        for fd, event in watched.poll(1000):
            if fd == listener.fileno():
                connection, _ = listener.accept()
                last = time.monotonic()
                child = os.fork()
                if child == 0:
                    listener.close()
                    for other, _pid, pidfd in running.values():
                        other.close()
                        if pidfd is not None:
                            os.close(pidfd)
                    _child(connection, path, key, code, cli, lock)  # never returns
                try:
                    pidfd = os.pidfd_open(child)
                    watched.register(pidfd, select.POLLIN)
                except OSError:  # a kernel without pidfds (before Linux 5.3): the tick reaps it
                    pidfd = None
                watched.register(connection, select.POLLRDHUP)
                running[connection.fileno()] = (connection, child, pidfd)
            elif fd in running and event & (select.POLLRDHUP | select.POLLHUP | select.POLLERR):
                with contextlib.suppress(ProcessLookupError):  # it has just ended (the next pass reaps it)
                    os.kill(running[fd][1], signal.SIGKILL)
                watched.unregister(fd)  # its pidfd says when it is gone
            # else a child's pidfd: it ended, and the next pass reaps it
    with_same = not _replaced(path, identity)
    listener.close()
    if with_same:
        os.unlink(path)


def _forget(watched, running: dict, fd: int) -> None:
    import contextlib

    connection, _pid, pidfd = running.pop(fd)
    with contextlib.suppress(KeyError):  # unregistered when its client ended
        watched.unregister(fd)
    connection.close()
    if pidfd is not None:
        watched.unregister(pidfd)
        os.close(pidfd)


def _code(stamp: tuple) -> tuple:
    """What the resident process's code is: the package's files and Python, the times of the import path's folders
    (a package installed or removed) but the first, the file of every module it loaded (one edited or upgraded in
    place), and in the first folder, the files named like a loaded module (one that would shadow it). The first is
    the working folder of `python -m`, where a saved file must not end it, or the script's. A module not loaded yet
    is imported by the child from the disk as it is then."""
    from notes_builder.lint import record

    loaded = {name.partition(".")[0] for name in sys.modules}
    try:
        shadows = sorted(entry for entry in os.listdir(sys.path[0] or ".") if entry.partition(".")[0] in loaded)
    except (OSError, IndexError):
        shadows = None
    return stamp[:3], stamp[3][1:], shadows, record._loaded_code()


def _reaped() -> tuple[set[int], bool]:
    """The children that ended since the last call, and whether one found the code stale."""
    ended, stale = set(), False
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended, stale
        if pid == 0:
            return ended, stale
        ended.add(pid)
        stale = stale or (os.WIFEXITED(status) and os.WEXITSTATUS(status) == STALE_EXIT)


def _replaced(path: str, identity: int) -> bool:
    try:
        return os.stat(path).st_ino != identity
    except OSError:
        return True


def _child(connection, path: str, key: bytes, code, cli, lock) -> None:
    """Run one client's command as its own process would, then exit."""
    import atexit
    import contextlib
    import io
    import socket
    import traceback

    from notes_builder.lint import record

    lock.close()  # a replacement resident process must not wait for this child
    status = 1
    try:
        uid = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1]  # pid, uid, gid
        if uid != os.getuid():
            os._exit(1)
        request = marshal.loads(_read(connection, _HEADER.unpack(_read(connection, _HEADER.size))[0]))
        if request["key"] != key:
            connection.sendall(_REPLY.pack(b"N", 0))
            os._exit(0)
        # record._stamp is computed afresh here (the resident process called only its uncached function), and kept
        # for the run's own record
        if _code(record._stamp()) != code:  # no client can reach it from now on: it ends, whatever happens to this
            with contextlib.suppress(OSError):
                os.unlink(path)
            connection.sendall(_REPLY.pack(b"S", 0))
            os._exit(STALE_EXIT)
        try:
            os.chdir(request["cwd"])
        except OSError:  # a folder this process cannot see or enter: the client's own process runs
            connection.sendall(_REPLY.pack(b"N", 0))
            os._exit(0)
        connection.sendall(_REPLY.pack(b"R", os.getpid()))
        go, fds, _flags, _address = socket.recv_fds(connection, 1, 3)
        if go != b"G" or len(fds) != 3:
            os._exit(0)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        streams = []
        for fd, (encoding, errors, line_buffering, write_through) in enumerate(request["streams"]):
            raw = io.FileIO(fd, "rb" if fd == 0 else "wb", closefd=False)
            raw.name = ("<stdin>", "<stdout>", "<stderr>")[fd]  # as Python names them (in its messages)
            unbuffered = write_through and fd > 0  # python -u, PYTHONUNBUFFERED: stdout and stderr unbuffered
            buffer = raw if unbuffered else (io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw))
            stream = io.TextIOWrapper(buffer, encoding=encoding, errors=errors, newline="\n",
                                      line_buffering=line_buffering, write_through=write_through)
            stream.mode = "r" if fd == 0 else "w"  # as Python sets it (its repr shows it)
            streams.append(stream)
        sys.stdin, sys.stdout, sys.stderr = sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams
        os.environ.clear()
        os.environ.update(request["environment"])
        os.umask(request["umask"])
        sys.argv = request["argv"]
        try:
            cli.main(args=sys.argv[1:], prog_name=request["prog"])
            status = 0
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            if not isinstance(exit_.code, int) and exit_.code is not None:
                print(exit_.code, file=sys.stderr)
        except KeyboardInterrupt:
            status = 130
        except BaseException:  # what Python itself would print for an uncaught error
            traceback.print_exc()
            status = 1
        atexit._run_exitfuncs()
        try:
            sys.stdout.flush()
        except (OSError, ValueError) as error:  # as Python reports a failed flush at exit (a full disk): 120
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(f"Exception ignored in: {sys.stdout!r}\n"
                                 + "".join(traceback.format_exception_only(error)))
            status = 120
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        connection.sendall(_REPLY.pack(b"X", status))
    except BaseException:  # the client went away, or spoke no request: nothing to tell it
        pass
    os._exit(0)
