#!/usr/bin/env python3
"""How many viewers of one live dialogue session this machine keeps up to date: polling or server-sent events.

    .venv/bin/python bench/live_transport.py [--db sqlite|postgresql] [--quick] [--json FILE]

It prepares a throwaway database (PostgreSQL `bench_live`, or an SQLite file under /tmp) with one live session
of about 200 public questions, 50 of them answered, then on 127.0.0.1 only:

* polling (the live page as it is): gunicorn with the project's gunicorn.conf.py (gthread); wrk sends the poll
  exactly as htmx does (If-None-Match, HX-Request, HX-Request-Type, HX-Target, HX-Source, the session cookie):
  unchanged polls (304) at 64 and 256 connections, and the fragment a poll fetches after a change (200);
  then N simulated viewers polling every 2 s through a pool of keep-alive connections (a proxy's upstream
  pool), with one moderator action in the middle: poll latency, errors, and how long until every viewer has
  the new answer;
* server-sent events (bench/sse_app.py): gunicorn with gevent workers; N open streams, memory per stream,
  K moderator actions (a real answer published through dialogue.services, committed, published on Redis):
  delay until every viewer got the event, CPU of the workers per action; then the fragment fetch that
  follows an event;
* the bare Flask "hello" app (bench/hello_app.py) under the same gunicorn settings, measured right before each
  scenario: every figure is also given as a ratio to it.

Every step has a timeout; every server it started is stopped on exit, Ctrl+C or error. One table is printed.
"""
import argparse
import asyncio
import json
import math
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

MAIN = Path(__file__).resolve().parent.parent
BIN = MAIN / ".venv" / "bin"
CORES = os.cpu_count() or 1
CLK_TCK = os.sysconf("SC_CLK_TCK")
POLL_SECONDS = 2.0
PROMISE_SECONDS = 3.0
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "bench_live"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
TARGET = "section#live"   # what htmx sends as HX-Target for the live region (templates/dialogue/session_detail.html)
SOURCE = "div#live-poll"  # and as HX-Source (templates/dialogue/_live.html)

STARTED = []  # (name, Popen) of every process this run started, stopped in cleanup()


def say(*parts):
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------
# Content of the live session (run inside the moderator helper, with the app)
# ---------------------------------------------------------------------------------------------------------

SUBJECTS = [
    "cấp giấy phép kinh doanh dịch vụ karaoke", "thẩm định nội dung kịch bản trò chơi điện tử",
    "đăng ký tổ chức lễ hội truyền thống", "cấp giấy phép tổ chức biểu diễn nghệ thuật",
    "công nhận cơ sở lưu trú du lịch đạt chuẩn", "xếp hạng di tích lịch sử – văn hóa cấp tỉnh",
    "tu bổ, phục hồi nhà rông truyền thống", "thông báo sản phẩm quảng cáo trên băng rôn",
    "cấp giấy phép kinh doanh dịch vụ lữ hành nội địa", "hỗ trợ câu lạc bộ cồng chiêng ở cơ sở",
    "đăng ký tổ chức giải thể thao phong trào", "cấp thẻ hướng dẫn viên du lịch tại điểm",
    "công nhận gia đình văn hóa", "cấp phép xuất bản bản tin của doanh nghiệp",
    "đăng ký hoạt động thư viện tư nhân", "hỗ trợ homestay đăng ký đạt chuẩn phục vụ khách du lịch",
]
PLACES = ["thành phố Pleiku", "thị xã An Khê", "thị xã Ayun Pa", "huyện Chư Păh", "huyện Đak Đoa", "huyện Kbang",
          "huyện Ia Grai", "huyện Mang Yang", "huyện Chư Sê", "huyện Đức Cơ", "huyện Krông Pa", "huyện Kông Chro"]
ASKERS = ["Nguyễn Thị Hồng", "Trần Văn Phúc", "Rơ Mah Hlim", "Ksor H'Bia", "Lê Quang Vinh", "Phạm Thị Thủy",
          "Đinh Văn Đờ", "Siu H'Nhung", "Võ Minh Tuấn", "Hoàng Thị Ngọc Ánh", "Nay Y Blơ", "Bùi Đức Thắng",
          "Đặng Thị Thanh Tâm", "Rah Lan Hiếu", "Huỳnh Văn Lộc", "Kpă Y Luyn"]
QUESTION_FRAMES = [
    "Xin hỏi thủ tục {s} tại {p} hiện nay cần những giấy tờ gì và nộp ở đâu? Tôi có thể nộp hồ sơ trực tuyến "
    "trên Cổng dịch vụ công của tỉnh không?",
    "Gia đình tôi ở {p} muốn làm thủ tục {s}. Thời gian giải quyết là bao nhiêu ngày làm việc, và có phải đến "
    "Sở trực tiếp không?",
    "Đề nghị Sở cho biết kế hoạch cải cách thủ tục {s} trong năm tới, nhất là đối với người dân vùng sâu, vùng "
    "xa như {p}.",
    "Tôi đã nộp hồ sơ {s} từ tháng trước nhưng đến nay chưa nhận được kết quả. Xin hỏi tôi tra cứu tình trạng "
    "hồ sơ ở đâu và khi nào có kết quả?",
    "Doanh nghiệp chúng tôi ở {p} gặp khó khăn khi làm thủ tục {s}. Sở có hỗ trợ hướng dẫn tận nơi hoặc qua "
    "điện thoại không, và lệ phí hiện nay là bao nhiêu?",
]
ANSWER_FRAMES = [
    "<p>Cảm ơn bạn đã quan tâm. Đối với thủ tục {s}, hồ sơ gồm đơn đề nghị theo mẫu, bản sao giấy tờ tùy thân và "
    "các tài liệu liên quan. Bạn có thể nộp <strong>trực tuyến toàn trình</strong> trên Cổng dịch vụ công của "
    "tỉnh hoặc qua dịch vụ bưu chính công ích.</p><p>Thời gian giải quyết là <strong>{n} ngày làm việc</strong> "
    "kể từ khi nhận đủ hồ sơ hợp lệ. Người dân ở {p} có thể liên hệ Bộ phận tiếp nhận và trả kết quả để được "
    "hướng dẫn miễn phí.</p>",
    "<p>Sở đã rút ngắn thời gian giải quyết thủ tục {s} từ 15 xuống còn <strong>{n} ngày làm việc</strong>. "
    "Hồ sơ nộp trực tuyến được tiếp nhận cả ngày nghỉ và được xử lý vào ngày làm việc kế tiếp.</p>"
    "<p>Để tra cứu tình trạng hồ sơ, bạn dùng mã hồ sơ trên giấy tiếp nhận tại mục Tra cứu của Cổng dịch vụ "
    "công; nếu quá hạn, Sở sẽ có văn bản xin lỗi và hẹn lại thời gian trả kết quả.</p>",
    "<p>Về thủ tục {s}, Sở ghi nhận khó khăn của người dân và doanh nghiệp ở {p}. Trong quý tới, Sở phối hợp với "
    "UBND cấp huyện tổ chức các buổi hướng dẫn trực tiếp và mở đường dây nóng hỗ trợ trong giờ hành chính.</p>"
    "<p>Lệ phí thực hiện theo Thông tư của Bộ Tài chính; hồ sơ nộp trực tuyến được <strong>giảm 50% lệ phí"
    "</strong> theo quy định hiện hành.</p>",
]


def question_text(rng):
    return rng.choice(QUESTION_FRAMES).format(s=rng.choice(SUBJECTS), p=rng.choice(PLACES))


def answer_text(rng):
    return rng.choice(ANSWER_FRAMES).format(s=rng.choice(SUBJECTS), p=rng.choice(PLACES), n=rng.choice([3, 5, 7]))


def load_content(public=200, answered=50):
    """One live session with `public` published questions, `answered` of them answered (idempotent)."""
    import uuid

    import sqlalchemy as sa

    from accounts.models import Role, User
    from dialogue import services
    from dialogue.models import (DialogueQuestion, DialogueQuestionState as Q, DialogueSession,
                                 SessionState as S)
    from extensions import db

    session = db.session.scalar(sa.select(DialogueSession).where(DialogueSession.state == S.LIVE)
                                .order_by(DialogueSession.id).limit(1))
    if session is None:
        raise SystemExit("no live session: run `flask --app app demo load` first")
    moderator = db.session.scalar(sa.select(User).where(User.role == Role.MODERATOR).order_by(User.id).limit(1))
    shown = db.session.scalar(sa.select(sa.func.count(DialogueQuestion.id)).where(
        DialogueQuestion.session_id == session.id, DialogueQuestion.state.in_((Q.APPROVED, Q.SHORTLISTED, Q.ANSWERED))))
    rng = random.Random(2026)
    missing = max(0, public - shown)
    for n in range(missing):
        question = DialogueQuestion(
            session=session, idempotency_key=uuid.uuid4().hex, body=question_text(rng),
            asker_name=rng.choice(ASKERS), anonymous=rng.random() < 0.15, vote_count=int(rng.paretovariate(1.2)) - 1,
            asker_email=f"nguoixem{n}@example.vn" if rng.random() < 0.3 else None)
        db.session.add(question)
        db.session.flush()
        services.approve(question, moderator)
        if n < answered:
            services.publish_answer(question, session.officials[n % len(session.officials)], answer_text(rng),
                                    moderator)
        elif rng.random() < 0.1:
            services.shortlist(question, moderator)
    db.session.commit()
    return session, moderator


def helper_main():
    """The moderator: loads the content, then publishes one answer per `answer` line read on stdin."""
    sys.path[:0] = [str(MAIN), str(MAIN / "bench")]
    os.chdir(MAIN)
    import sqlalchemy as sa

    from app import create_app
    from sse_app import install_publisher

    app = create_app()
    install_publisher(app)  # the same publisher as the stream's workers: commit, then Redis
    out = sys.stdout
    sys.stdout = sys.stderr  # only our JSON lines on the pipe

    def emit(**data):
        out.write(json.dumps(data) + "\n")
        out.flush()

    with app.app_context():
        from dialogue import services
        from dialogue.models import DialogueQuestion, DialogueQuestionState as Q, DialogueSession
        from extensions import db

        session, moderator = load_content()
        session_id, moderator_id = session.id, moderator.id
        rng = random.Random(7)
        emit(ready=True, session_id=session_id, version=session.version)
        for line in sys.stdin:
            command = line.strip()
            if command == "quit":
                break
            if command != "answer":
                emit(error=f"unknown command {command!r}")
                continue
            session = db.session.get(DialogueSession, session_id)
            moderator = db.session.get(type(moderator), moderator_id)
            question = db.session.scalar(sa.select(DialogueQuestion).where(
                DialogueQuestion.session_id == session_id,
                DialogueQuestion.state.in_((Q.APPROVED, Q.SHORTLISTED)))
                .order_by(DialogueQuestion.vote_count.desc(), DialogueQuestion.id).limit(1))
            if question is None:
                emit(error="no question left to answer")
                continue
            action_at = time.time()
            services.publish_answer(question, session.officials[0], answer_text(rng), moderator)
            services.set_current(session, question, moderator)
            db.session.commit()  # publishes the new version on Redis once committed
            committed_at = time.time()
            version = db.session.scalar(sa.select(DialogueSession.version).where(DialogueSession.id == session_id))
            db.session.commit()
            emit(version=version, question_id=question.id, action_at=action_at, committed_at=committed_at)


class Moderator:
    """The helper process, driven line by line."""

    def __init__(self, env):
        self.proc = subprocess.Popen([str(BIN / "python"), __file__, "--helper"], cwd=MAIN, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, start_new_session=True)
        STARTED.append(("moderator", self.proc))
        self.lock = threading.Lock()
        self.ready = self._read(timeout=180)
        if not self.ready.get("ready"):
            raise RuntimeError(f"moderator helper failed: {self.ready}")

    def _read(self, timeout):
        result = {}

        def reader():
            line = self.proc.stdout.readline()
            result.update(json.loads(line) if line else {"error": "helper ended"})

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        thread.join(timeout)
        if not result:
            raise TimeoutError("the moderator helper did not answer in time")
        return result

    def answer(self):
        """Publish one answer (and make it the current question); its version and when it happened."""
        with self.lock:
            self.proc.stdin.write("answer\n")
            self.proc.stdin.flush()
            reply = self._read(timeout=30)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply


# ---------------------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, env, timeout, what):
    result = subprocess.run(cmd, cwd=MAIN, env=env, timeout=timeout, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"{what} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result.stdout


class Server:
    """A gunicorn master and its workers, started with the project's gunicorn.conf.py plus extra options."""

    def __init__(self, name, app_spec, env, extra=(), ready_path="/healthz", logdir=None, database=None):
        self.name, self.port, self.ready_path, self.database = name, free_port(), ready_path, database
        self.log = open(Path(logdir) / f"{name}.log", "w")
        cmd = [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}",
               *extra, app_spec]
        self.proc = subprocess.Popen(cmd, cwd=MAIN, env=env, stdout=subprocess.DEVNULL, stderr=self.log,
                                     start_new_session=True)
        STARTED.append((name, self.proc))
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name}: gunicorn exited ({self.proc.returncode}); see {self.log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{ready_path}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} did not start within 60 s; see {self.log.name}")
            time.sleep(0.2)
        # every worker up and warm (templates compiled, pools filled) before anything is measured
        for _ in range(8 * CORES):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}{ready_path}", timeout=5).read()
            except OSError:
                pass

    def workers(self):
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid:
                    pids.append(int(entry))
        return sorted(pids)

    def rss_kib(self):
        """The resident memory of each worker, in KiB."""
        sizes = []
        for pid in self.workers():
            try:
                with open(f"/proc/{pid}/status") as f:
                    sizes.append(next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")))
            except (OSError, StopIteration):
                pass
        return sizes

    def cpu_seconds(self):
        """CPU time used so far by the workers (user + system), counting workers that were recycled
        (max_requests) and reaped by the master: their time is in the master's cutime and cstime."""
        total = 0
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[13]) + int(fields[14])
        except OSError:
            pass
        for pid in self.workers():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except OSError:
                pass
        return total / CLK_TCK

    def cpu_seconds_with_database(self):
        """The workers' CPU time, plus that of the PostgreSQL backends serving the bench database."""
        return self.cpu_seconds() + (pg_backend_cpu_seconds() if self.database == "postgresql" else 0.0)

    def stop(self):
        stop_process(self.proc)
        self.log.close()


def drain(server, limit=90):
    """Wait until the server answers at once again (requests of viewers that gave up are still queued)."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        asked = time.monotonic()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}{server.ready_path}", timeout=limit).read()
        except OSError:
            time.sleep(0.5)
            continue
        if time.monotonic() - asked < 0.2:
            break
    return time.monotonic() - began


def pg_backend_cpu_seconds():
    """CPU time used so far by the PostgreSQL backends connected to the bench database (same machine)."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as connection:
        pids = [r[0] for r in connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (PG_DB,))]
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / CLK_TCK


def stop_process(proc, grace=10):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(5)


def cleanup():
    while STARTED:
        name, proc = STARTED.pop()
        try:
            if name == "moderator" and proc.poll() is None:
                try:
                    proc.stdin.write("quit\n")
                    proc.stdin.flush()
                    proc.wait(3)
                except (OSError, subprocess.TimeoutExpired, ValueError):
                    pass
            stop_process(proc)
        except Exception as error:  # noqa: BLE001  (stop the others whatever happens)
            say(f"could not stop {name}: {error}")


def own_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------------------------------------

WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) unexpected = 0 end
%(headers)s
function response(status, headers, body)
  if status ~= %(expected)d then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local u = 0
  for _, t in ipairs(threads) do u = u + t:get("unexpected") end
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, "p50_us": %%d, ' ..
    '"p99_us": %%d, "max_us": %%d, "errors": %%d, "unexpected": %%d}\\n', summary.requests, summary.duration,
    summary.bytes, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.status + e.timeout, u))
end
"""


def wrk(url, connections, seconds, headers=None, expected=200, tmpdir="/tmp"):
    lines = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in (headers or {}).items())
    script = Path(tmpdir) / f"wrk-{secrets.token_hex(4)}.lua"
    script.write_text(WRK_SCRIPT % {"headers": lines, "expected": expected})
    cmd = [shutil.which("wrk") or "/usr/bin/wrk", "-t", str(min(2, connections)), "-c", str(connections),
           "-d", f"{seconds}s", "--timeout", "5s", "-s", str(script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    found = re.search(r"^RESULT (\{.*\})$", out, re.M)
    if not found:
        raise RuntimeError(f"wrk gave no result:\n{out}")
    data = json.loads(found.group(1))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["bytes_per_response"] = data["bytes"] / max(1, data["requests"])
    return data


# ---------------------------------------------------------------------------------------------------------
# A small HTTP/1.1 client on asyncio streams (cheap enough to simulate thousands of viewers on this machine)
# ---------------------------------------------------------------------------------------------------------

class HttpError(Exception):
    pass


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    if status in (204, 304) or 100 <= status < 200:
        body = b""
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.read()
        headers["connection"] = "close"
    return status, headers, body


class Pool:
    """Keep-alive connections shared by many viewers, as a reverse proxy's upstream pool shares them."""

    def __init__(self, port, size):
        self.port, self.size, self.opened = port, size, 0
        self.idle = asyncio.Queue()
        self.slots = asyncio.Semaphore(size)

    async def request(self, raw):
        async with self.slots:
            conn = None
            if not self.idle.empty():
                conn = self.idle.get_nowait()
            if conn is None:
                conn = await asyncio.open_connection("127.0.0.1", self.port)
                self.opened += 1
            reader, writer = conn
            try:
                writer.write(raw)
                status, headers, body = await read_response(reader)
            except BaseException:
                writer.close()
                raise
            if headers.get("connection", "").lower() == "close":
                writer.close()
            else:
                self.idle.put_nowait(conn)
            return status, headers, body

    def close(self):
        while not self.idle.empty():
            self.idle.get_nowait()[1].close()


POLL_GET = re.compile(r'id="live-poll"[^>]*?hx-get="([^"]+)"', re.S)
POLL_TAG = re.compile(r'id="live-poll".*?hx-headers=\'\{"If-None-Match": "\\"([^"\\]+)\\""\}\'', re.S)


def poll_state(html, fallback):
    """What the fragment tells its poller: the next poll's address and the version it shows."""
    import html as html_module

    path, tag = fallback
    found = POLL_GET.search(html)
    if found:
        path = html_module.unescape(found.group(1))
    found = POLL_TAG.search(html)
    if found:
        tag = found.group(1)
    return path, tag


def poll_request(port, session_id, path, tag, cookie):
    """The request htmx 4 sends for the live region's poll (see templates/dialogue/_live.html)."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "User-Agent: Mozilla/5.0 (bench viewer)",
             "Accept: text/html", "HX-Request: true", "HX-Request-Type: partial", f"HX-Target: {TARGET}",
             f"HX-Source: {SOURCE}", f"HX-Current-URL: http://127.0.0.1:{port}/doi-thoai/{session_id}",
             "Accept-Language: vi-VN,vi;q=0.9"]
    if tag:
        lines.append(f'If-None-Match: "{tag}"')
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


async def polling_viewers(port, session_id, first, cookie, viewers, moderator, with_change, pool_size=128,
                          steady_seconds=6.0, settle=10.0, timeout=10.0):
    """N viewers polling every 2 s with the version they show, through a proxy-like pool of connections.
    with_change: one moderator action after half the steady time, then until every viewer has it (or settle s)."""
    loop = asyncio.get_running_loop()
    pool = Pool(port, pool_size)
    steady, after, errors, late, statuses = [], [], [], [0], {}
    change, arrived = {}, []
    start = loop.time() + 0.2
    change_at = start + steady_seconds / 2 if with_change else float("inf")
    hard_end = change_at + settle if with_change else start + steady_seconds
    cpu0 = own_cpu_seconds()

    async def viewer(rng):
        path, tag = first
        due = start + rng.uniform(0, POLL_SECONDS)
        updated = False
        while due < hard_end and not updated:
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                status, _, body = await asyncio.wait_for(
                    pool.request(poll_request(port, session_id, path, tag, cookie)), timeout)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, HttpError) as error:
                errors.append(type(error).__name__)
            else:
                now = loop.time()
                (after if change else steady).append(now - due)
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    path, tag = poll_state(body.decode("utf-8", "replace"), (path, tag))
                    if change and int(tag.rsplit("-", 1)[1]) >= change["version"]:
                        updated = True
                        arrived.append(time.time())
                elif status != 304:
                    errors.append(f"HTTP {status}")
            due += POLL_SECONDS
            while due < loop.time():  # a tick missed while this poll was still waiting
                due += POLL_SECONDS
                late[0] += 1

    async def act():
        if with_change:
            await asyncio.sleep(max(0.0, change_at - loop.time()))
            change.update(await asyncio.to_thread(moderator.answer))

    began = time.time()
    await asyncio.gather(act(), *(viewer(random.Random(i)) for i in range(viewers)))
    elapsed = time.time() - began
    pool.close()
    delays = [t - change["action_at"] for t in arrived] if change else []
    window = steady_seconds / 2 if with_change else steady_seconds
    return {
        "viewers": viewers, "with_change": with_change, "requests": len(steady) + len(after),
        "rps": len(steady) / window, "p50": percentile(steady, 50), "p99": percentile(steady, 99),
        "after_change_p99": percentile(after, 99), "errors": len(errors), "error_kinds": sorted(set(errors))[:5],
        "late_ticks": late[0], "statuses": statuses, "updated": len(arrived),
        "update_p50": percentile(delays, 50), "update_p99": percentile(delays, 99),
        "update_max": max(delays) if delays else float("nan"),
        "client_cpu_s": own_cpu_seconds() - cpu0, "elapsed_s": elapsed, "pool": pool_size,
    }


class Stream:
    """One viewer's open event stream."""

    __slots__ = ("reader", "writer", "events", "version", "task", "on_event")

    def __init__(self):
        self.events, self.version, self.task, self.on_event = [], 0, None, None


async def open_stream(port, path, stream):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
                  "Cache-Control: no-cache\r\nUser-Agent: Mozilla/5.0 (bench viewer)\r\n\r\n").encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if status != 200:
        writer.close()
        raise HttpError(f"HTTP {status}")
    stream.reader, stream.writer = reader, writer
    stream.task = asyncio.ensure_future(read_events(stream, b"chunked" in head.lower()))


async def read_events(stream, chunked):
    buffer = b""
    reader = stream.reader
    try:
        while True:
            if chunked:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    return
                data = await reader.readexactly(size + 2)
                buffer += data[:-2]
            else:
                data = await reader.read(4096)
                if not data:
                    return
                buffer += data
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                fields = dict(line.split(b": ", 1) for line in block.split(b"\n") if b": " in line)
                if fields.get(b"event") == b"changed":
                    stream.version = int(fields[b"data"])
                    stream.events.append((stream.version, time.time()))
                    if stream.on_event is not None:
                        stream.on_event(stream)
    except (OSError, asyncio.IncompleteReadError, ValueError):
        return


async def sse_scenario(server, session_id, version, streams, viewers, rss_zero, moderator, updates, burst_limit_s,
                       fragment_rps, first, cookie, pool_size=128):
    """Open streams up to N (those of the previous step stay open), weigh them, send K moderator actions, then
    (when it should end within burst_limit_s) the fragment fetch every viewer makes after an event."""
    loop = asyncio.get_running_loop()
    path = f"/doi-thoai/{session_id}/su-kien?v={version}"
    gate = asyncio.Semaphore(256)
    connect_errors = []

    async def connect(stream):
        async with gate:
            try:
                await asyncio.wait_for(open_stream(server.port, path, stream), 30)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, HttpError) as error:
                connect_errors.append(type(error).__name__)

    new = [Stream() for _ in range(max(0, viewers - len(streams)))]
    cpu0 = server.cpu_seconds_with_database()
    opening = loop.time()
    await asyncio.gather(*(connect(s) for s in new))
    open_seconds = loop.time() - opening
    open_cpu = server.cpu_seconds_with_database() - cpu0
    streams.extend(s for s in new if s.reader is not None)
    live = [s for s in streams if not s.task.done()]
    await asyncio.sleep(1.0)
    rss_after = server.rss_kib()
    per_stream = (sum(rss_after) - sum(rss_zero)) * 1024 / max(1, len(live))
    result = {"viewers": viewers, "open": len(live), "opened": len(new), "connect_errors": len(connect_errors),
              "open_seconds": open_seconds, "open_cpu_ms_per_stream": open_cpu * 1000 / max(1, len(new)),
              "rss_zero_kib": rss_zero, "rss_after_kib": rss_after, "bytes_per_stream": per_stream}

    delays, cpu, missed = [], [], 0
    for _ in range(updates):
        cpu0 = server.cpu_seconds()
        change = await asyncio.to_thread(moderator.answer)
        deadline = loop.time() + 10
        while loop.time() < deadline and any(s.version < change["version"] for s in live):
            await asyncio.sleep(0.01)
        cpu.append(server.cpu_seconds() - cpu0)
        got = [t for s in live for v, t in s.events if v == change["version"]]
        missed += sum(1 for s in live if s.version < change["version"])
        delays.append([t - change["action_at"] for t in got])
        await asyncio.sleep(0.3)
    every = [d for per in delays for d in per]
    result.update({"updates": updates, "event_p50": percentile(every, 50), "event_p99": percentile(every, 99),
                   "event_max": max(every) if every else float("nan"),
                   "all_max_per_update": [max(per) if per else float("nan") for per in delays],
                   "missed_events": missed, "cpu_s_per_update": sum(cpu) / max(1, len(cpu))})

    # The fragment every viewer fetches after an event: measured when it fits the time bound, else estimated.
    estimate = len(live) / fragment_rps if fragment_rps else float("inf")
    result["burst_estimate_s"] = estimate
    if estimate <= burst_limit_s:
        pool = Pool(server.port, pool_size)
        fetched, latencies, errors = [], [], []
        pending = set()

        def on_event(stream):
            async def fetch():
                began = loop.time()
                try:
                    status, _, _ = await asyncio.wait_for(
                        pool.request(poll_request(server.port, session_id, first[0], first[1], cookie)), 30)
                    if status != 200:
                        errors.append(status)
                    else:
                        fetched.append(time.time())
                        latencies.append(loop.time() - began)
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
                    errors.append(type(error).__name__)
            task = asyncio.ensure_future(fetch())
            pending.add(task)
            task.add_done_callback(pending.discard)

        for s in live:
            s.on_event = on_event
        cpu0 = server.cpu_seconds_with_database()
        change = await asyncio.to_thread(moderator.answer)
        deadline = loop.time() + burst_limit_s * 2 + 10
        while loop.time() < deadline and (len(fetched) + len(errors) < len(live)):
            await asyncio.sleep(0.02)
        for task in list(pending):
            task.cancel()
        for s in live:
            s.on_event = None
        done = [t - change["action_at"] for t in fetched]
        result.update({"burst_measured": True, "burst_fetched": len(fetched), "burst_errors": len(errors),
                       "burst_all_s": max(done) if done else float("nan"), "burst_p50_s": percentile(done, 50),
                       "burst_p99_s": percentile(done, 99), "burst_fetch_p99": percentile(latencies, 99),
                       "burst_cpu_s": server.cpu_seconds_with_database() - cpu0,
                       "burst_in_promise": sum(1 for d in done if d <= PROMISE_SECONDS)})
        pool.close()
    else:
        result["burst_measured"] = False

    return result


async def sse_phase(server, session_id, moderator, viewer_counts, updates, burst_limit_s, fragment_rps, page,
                    baseline):
    """The stream scenarios, one step per number of viewers, the streams of each step kept for the next."""
    streams, results = [], []
    rss_zero = server.rss_kib()
    try:
        for viewers in viewer_counts:
            base = await asyncio.to_thread(baseline)
            cookie, (path, tag) = await asyncio.to_thread(page)
            data = await sse_scenario(server, session_id, int(tag.rsplit("-", 1)[1]), streams, viewers, rss_zero,
                                      moderator, updates, burst_limit_s, fragment_rps, (path, None), cookie)
            data["drain_s"] = await asyncio.to_thread(drain, server)
            results.append((base, data))
    finally:
        for s in streams:
            s.task.cancel()
            s.writer.close()
        await asyncio.sleep(0.5)
    return results


# ---------------------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------------------

def prepare_database(kind, workdir):
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=10) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {PG_DB}")
        return f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
    return f"sqlite:///{Path(workdir) / 'portal.sqlite3'}"


def drop_database(kind):
    if kind != "postgresql":
        return
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=10) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    except psycopg.Error as error:
        say(f"could not drop {PG_DB}: {error}")


def machine():
    import platform

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    with open("/proc/meminfo") as f:
        mem_kib = int(next(line.split()[1] for line in f if line.startswith("MemTotal:")))
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cores": CORES, "cpu": model, "ram_gib": round(mem_kib / 1024 / 1024, 1), "kernel": platform.release(),
            "python": platform.python_version(),
            "postgresql": version(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"]),
            "redis": version(["redis-cli", "-u", REDIS_URL, "INFO", "server"]).split("redis_version:")[-1].split()[0]
            if "redis_version" in version(["redis-cli", "-u", REDIS_URL, "INFO", "server"]) else "?",
            "sqlite": __import__("sqlite3").sqlite_version}


def page_cookie_and_poll(port, session_id):
    """Load the session page as a browser would: its session cookie, the poll's address and version."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/doi-thoai/{session_id}", timeout=60) as response:
        html = response.read().decode()
        cookies = [c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or []]
    path, tag = poll_state(html, (None, None))
    if not path or not tag:
        raise RuntimeError("the session page has no live poll: is the session live?")
    return "; ".join(cookies), (path, tag)


def check_poll(port, session_id, path, tag, cookie, expect):
    """One poll by hand, to be sure the load tool sends what gets a 304 (or the fragment)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={
        "HX-Request": "true", "HX-Request-Type": "partial", "HX-Target": TARGET, "HX-Source": SOURCE,
        "Accept": "text/html", "Cookie": cookie, **({"If-None-Match": f'"{tag}"'} if tag else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, body, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, body, headers = error.code, error.read(), error.headers
    if status != expect:
        raise RuntimeError(f"a poll with If-None-Match {tag!r} got {status}, not {expect}")
    return {"status": status, "bytes": len(body), "etag": headers.get("ETag"), "set_cookie": headers.get("Set-Cookie"),
            "cache_control": headers.get("Cache-Control"), "vary": headers.get("Vary")}


def bench(kind, quick, workdir):
    seconds = 3 if quick else 6
    viewer_counts = (50, 500) if quick else (50, 1000, 5000, 10000)
    updates = 2 if quick else 3
    burst_limit = 8.0  # a change's fragment burst is run only where it should end within this; else estimated
    rows, notes, results = [], {}, {}
    env = dict(os.environ)
    for key in ("WEB_CONCURRENCY", "BIND", "GUNICORN_THREADS"):
        env.pop(key, None)
    env.update({"DATABASE_URL": prepare_database(kind, workdir), "INSTANCE_PATH": str(Path(workdir) / "instance"),
                "REDIS_URL": REDIS_URL, "SECRET_KEY": secrets.token_urlsafe(48), "PYTHONDONTWRITEBYTECODE": "1"})
    env.pop("APP_ENV", None)  # the demo loader refuses production
    flask = [str(BIN / "flask"), "--app", "app"]
    say(f"[{kind}] migrating and loading the demo data")
    run([*flask, "db", "upgrade"], env, 180, "flask db upgrade")
    run([*flask, "demo", "load"], env, 180, "flask demo load")
    env["APP_ENV"] = "production"
    moderator = Moderator(env)
    session_id = moderator.ready["session_id"]
    say(f"[{kind}] live session {session_id}: version {moderator.ready['version']}")

    # ---- polling: the portal as it is, gthread as in gunicorn.conf.py -------------------------------------
    gthread = f"gthread, {CORES * 2} workers x 4 threads"
    hello = Server("hello-gthread", "bench.hello_app:app", env, ready_path="/hello", logdir=workdir, database=kind)
    portal = Server("portal-gthread", "app:create_app()", env, logdir=workdir, database=kind)
    gate = Server("portal-gate-gthread", "bench.poll_gate:create_gated_app()", env, logdir=workdir, database=kind)
    cookie, (path, tag) = page_cookie_and_poll(portal.port, session_id)
    notes["poll_304"] = check_poll(portal.port, session_id, path, tag, cookie, 304)
    notes["poll_fragment"] = check_poll(portal.port, session_id, path, None, cookie, 200)
    notes["gate_304"] = check_poll(gate.port, session_id, path, tag, cookie, 304)
    notes["poll_path"], notes["poll_tag"] = path, tag
    say(f"[{kind}] poll checked: 304 with If-None-Match \"{tag}\", {notes['poll_fragment']['bytes']} B without")

    def poll_headers(server):
        return {"HX-Request": "true", "HX-Request-Type": "partial", "HX-Target": TARGET, "HX-Source": SOURCE,
                "HX-Current-URL": f"http://127.0.0.1:{server.port}/doi-thoai/{session_id}", "Accept": "text/html",
                "Cookie": cookie}

    def measure(server, url, connections, duration, headers=None, expected=200):
        cpu0 = server.cpu_seconds_with_database()
        data = wrk(url, connections, duration, headers, expected, tmpdir=workdir)
        data["cpu_ms"] = (server.cpu_seconds_with_database() - cpu0) * 1000 / max(1, data["requests"])
        drain(server)
        return data

    def hello_run(server, connections, duration):
        return measure(server, f"http://127.0.0.1:{server.port}/hello", connections, duration)

    def group(hello_server, setup, connections, scenarios, duration=seconds):
        """hello, the scenarios, hello again: each scenario against the mean of the two hellos around it."""
        before = hello_run(hello_server, connections, duration)
        done = []
        for label, server, extra, expected in scenarios:
            data = measure(server, f"http://127.0.0.1:{server.port}{path}", connections, duration,
                           {**poll_headers(server), **extra}, expected)
            done.append((label, data))
            say(f"[{kind}] {label} c={connections}: {data['rps']:.0f}/s, {data['cpu_ms']:.2f} CPU ms/request")
        after = hello_run(hello_server, connections, duration)
        base = {"rps": (before["rps"] + after["rps"]) / 2, "cpu_ms": (before["cpu_ms"] + after["cpu_ms"]) / 2}
        rows.append(row("hello (baseline)", setup, connections, base["rps"], before["p50_us"] / 1e3,
                        before["p99_us"] / 1e3, 1.0, before["errors"] + after["errors"] + before["unexpected"]
                        + after["unexpected"], cpu_ms=base["cpu_ms"], cpu_ratio=1.0,
                        note=f"before {before['rps']:.0f}/s, after {after['rps']:.0f}/s"))
        for label, data in done:
            rows.append(row(label, setup, connections, data["rps"], data["p50_us"] / 1e3, data["p99_us"] / 1e3,
                            data["rps"] / base["rps"], data["errors"] + data["unexpected"], cpu_ms=data["cpu_ms"],
                            cpu_ratio=base["cpu_ms"] / data["cpu_ms"],
                            note=f"{data['bytes_per_response']:.0f} B/response"))
        return base, dict(done)

    for connections in (64, 256):
        base, done = group(hello, gthread, connections, [
            ("poll unchanged (304)", portal, {"If-None-Match": f'"{tag}"'}, 304),
            ("poll unchanged (304), WSGI gate prototype", gate, {"If-None-Match": f'"{tag}"'}, 304)])
        results[f"hello_{connections}"] = base
        results[f"304_{connections}"] = done["poll unchanged (304)"]
        results[f"gate_{connections}"] = done["poll unchanged (304), WSGI gate prototype"]
    gate.stop()
    base, done = group(hello, gthread, 64, [("poll after a change (fragment 200)", portal, {}, 200)])
    results["fragment"] = fragment = done["poll after a change (fragment 200)"]
    results["hello_fragment"] = base
    rows[-1]["memory"] = f"{sum(portal.rss_kib()) / len(portal.rss_kib()) / 1024:.0f} MiB/worker"
    cpu_304 = min(results["304_64"]["cpu_ms"], results["304_256"]["cpu_ms"])
    cpu_gate = min(results["gate_64"]["cpu_ms"], results["gate_256"]["cpu_ms"])
    cpu_hello = min(results["hello_64"]["cpu_ms"], results["hello_256"]["cpu_ms"])
    fragment_rps = CORES / fragment["cpu_ms"] * 1000  # what the whole machine would serve, from CPU per fragment
    notes["derived"] = {
        "hello_cpu_ms": cpu_hello, "poll_304_cpu_ms": cpu_304, "gate_304_cpu_ms": cpu_gate,
        "fragment_cpu_ms": fragment["cpu_ms"], "fragment_bytes": fragment["bytes_per_response"],
        "viewers_per_core_304_only": 1000 / cpu_304 * POLL_SECONDS,
        "viewers_per_core_gate_only": 1000 / cpu_gate * POLL_SECONDS,
        "viewers_per_core_hello": 1000 / cpu_hello * POLL_SECONDS,
        "burst_s_at_10000": 10000 / fragment_rps,
        "viewers_updated_within_promise": fragment_rps * PROMISE_SECONDS,
    }

    for viewers in viewer_counts:
        with_change = viewers / fragment_rps <= burst_limit
        base = hello_run(hello, 256, max(3, seconds // 2))
        rows.append(row("hello (baseline)", gthread, 256, base["rps"], base["p50_us"] / 1e3, base["p99_us"] / 1e3, 1.0,
                        base["errors"] + base["unexpected"], cpu_ms=base["cpu_ms"], cpu_ratio=1.0))
        cpu0 = portal.cpu_seconds_with_database()
        data = asyncio.run(polling_viewers(portal.port, session_id, (path, tag), cookie, viewers, moderator,
                                           with_change))
        data["server_cpu_s"] = portal.cpu_seconds_with_database() - cpu0
        data["drain_s"] = drain(portal)
        say(f"[{kind}] polling viewers {viewers}: {json.dumps(data)}")
        results[f"viewers_{viewers}"] = data
        if with_change:
            note = (f"new answer: {data['updated']}/{viewers} viewers, p50 {data['update_p50']:.2f} s, "
                    f"p99 {data['update_p99']:.2f} s, last {data['update_max']:.2f} s; poll p99 after it "
                    f"{data['after_change_p99'] * 1e3:.0f} ms")
        else:
            note = (f"unchanged polls only (a change would take {viewers / fragment_rps:.0f} s of fragments); "
                    f"{data['late_ticks']} ticks late")
        cpu_ms = data["server_cpu_s"] * 1000 / max(1, data["requests"])
        rows.append(row("polling viewers, every 2 s", f"{gthread}; proxy pool of {data['pool']}", viewers,
                        data["rps"], data["p50"] * 1e3, data["p99"] * 1e3, data["rps"] / base["rps"], data["errors"],
                        cpu_ms=cpu_ms, cpu_ratio=base["cpu_ms"] / cpu_ms,
                        note=note + f"; client CPU {data['client_cpu_s']:.1f} s, server {data['server_cpu_s']:.1f} s"
                        + (f"; errors: {', '.join(data['error_kinds'])}" if data["errors"] else "")))
        cookie, (path, tag) = page_cookie_and_poll(portal.port, session_id)  # the next run starts up to date
    rows[-1]["memory"] = f"{sum(portal.rss_kib()) / len(portal.rss_kib()) / 1024:.0f} MiB/worker"
    hello.stop()
    portal.stop()

    # ---- server-sent events: the portal plus bench/sse_app.py, gevent -------------------------------------
    gevent = f"gevent, {CORES} workers"
    # no max_requests: a recycled worker would drop thousands of open streams at once
    gevent_opts = ["-k", "gevent", "-w", str(CORES), "--worker-connections", "20000", "--max-requests", "0"]
    hello_g = Server("hello-gevent", "bench.hello_app:app", env, gevent_opts, ready_path="/hello", logdir=workdir, database=kind)
    sse = Server("portal-sse-gevent", "bench.sse_app:create_sse_app()", env, gevent_opts, logdir=workdir, database=kind)
    cookie, (path, tag) = page_cookie_and_poll(sse.port, session_id)
    base, done = group(hello_g, gevent, 64, [("fragment on gevent (fetched after an event)", sse, {}, 200)])
    results["sse_fragment"] = frag = done["fragment on gevent (fetched after an event)"]
    frag_rps = CORES / frag["cpu_ms"] * 1000
    steps = asyncio.run(sse_phase(sse, session_id, moderator, viewer_counts, updates, burst_limit, frag_rps,
                                  lambda: page_cookie_and_poll(sse.port, session_id),
                                  lambda: hello_run(hello_g, 64, max(3, seconds // 2))))
    for base, data in steps:
        viewers = data["viewers"]
        rows.append(row("hello (baseline)", gevent, 64, base["rps"], base["p50_us"] / 1e3, base["p99_us"] / 1e3, 1.0,
                        base["errors"] + base["unexpected"], cpu_ms=base["cpu_ms"], cpu_ratio=1.0,
                        note=f"with {data['open'] - data['opened']} streams open"))
        say(f"[{kind}] sse {viewers}: {json.dumps(data)}")
        results[f"sse_{viewers}"] = data
        worst = max((x for x in data["all_max_per_update"] if x == x), default=float("nan"))
        delivered = data["open"] / worst if worst == worst and worst > 0 else 0.0
        burst = (f"then the fragment: {data['burst_fetched']}/{data['open']} viewers by {data['burst_all_s']:.2f} s "
                 f"({data['burst_in_promise']} within 3 s), {data['burst_cpu_s']:.1f} CPU s"
                 if data["burst_measured"] else f"then the fragment: {data['burst_estimate_s']:.0f} s (estimated)")
        per_event_ms = data["cpu_s_per_update"] * 1000 / max(1, data["open"])
        rows.append(row("SSE: event to every viewer", gevent, viewers, delivered, data["event_p50"] * 1e3,
                        data["event_p99"] * 1e3, delivered / base["rps"], data["connect_errors"] + data["missed_events"],
                        cpu_ms=per_event_ms, cpu_ratio=base["cpu_ms"] / per_event_ms if per_event_ms else float("nan"),
                        memory=(f"{sum(data['rss_after_kib']) / len(data['rss_after_kib']) / 1024:.0f} MiB/worker, "
                                f"{data['bytes_per_stream'] / 1024:.1f} KiB/stream"),
                        note=(f"{data['opened']} more streams opened in {data['open_seconds']:.1f} s "
                              f"({data['open_cpu_ms_per_stream']:.1f} CPU ms each); last viewer "
                              f"{worst * 1e3:.0f} ms after the commit (worst of {updates}); "
                              f"{data['cpu_s_per_update'] * 1e3:.0f} ms worker CPU per answer; {burst}")))
    hello_g.stop()
    sse.stop()
    return rows, notes, results


def row(scenario, setup, connections, rps, p50, p99, ratio, errors, cpu_ms=float("nan"), cpu_ratio=float("nan"),
        memory="", note=""):
    return {"scenario": scenario, "setup": setup, "connections": connections, "rps": rps, "p50_ms": p50,
            "p99_ms": p99, "ratio": ratio, "cpu_ms": cpu_ms, "cpu_ratio": cpu_ratio, "errors": errors,
            "memory": memory, "note": note}


def cpu(value, spec):
    """A CPU figure; below the clock tick of /proc (10 ms for a whole step) it reads as not measurable."""
    return format(value, spec) if value == value and value > 0 else "< 1 tick"


def print_table(kind, rows, notes, info):
    print()
    print(f"Live dialogue transports on {kind}: {info['cores']} cores ({info['cpu']}), {info['ram_gib']} GiB, "
          f"Linux {info['kernel']}, Python {info['python']}, PostgreSQL {info['postgresql']}, Redis {info['redis']}, "
          f"SQLite {info['sqlite']}")
    print()
    print("| scenario | setup | connections / viewers | requests/s | p50 ms | p99 ms | ratio to hello | "
          "server CPU ms/request | CPU ratio to hello | errors | memory | notes |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        print(f"| {r['scenario']} | {r['setup']} | {r['connections']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
              f"{r['p99_ms']:.1f} | {r['ratio']:.2f} | {cpu(r['cpu_ms'], '.3f')} | {cpu(r['cpu_ratio'], '.2f')} | "
              f"{r['errors']} | "
              f"{r['memory']} | {r['note']} |")
    d = notes["derived"]
    print()
    print(f"Derived from the workers' CPU time: hello {d['hello_cpu_ms']:.2f} ms a request, unchanged poll "
          f"{d['poll_304_cpu_ms']:.2f} ms (gate prototype {d['gate_304_cpu_ms']:.2f} ms), fragment "
          f"{d['fragment_cpu_ms']:.1f} ms ({d['fragment_bytes'] / 1024:.0f} KiB). One core answers the unchanged "
          f"polls of {d['viewers_per_core_304_only']:.0f} viewers (gate: {d['viewers_per_core_gate_only']:.0f}; "
          f"hello: {d['viewers_per_core_hello']:.0f}) at one poll every {POLL_SECONDS:.0f} s. After a "
          f"change, every viewer fetches the fragment: {d['viewers_updated_within_promise']:.0f} viewers get it within "
          f"{PROMISE_SECONDS:.0f} s; 10,000 viewers need {d['burst_s_at_10000']:.0f} s of the whole machine.")
    print(f"The checked poll: {json.dumps(notes['poll_304'])}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="smaller numbers of viewers, shorter runs")
    parser.add_argument("--json", help="also write every figure to this file")
    parser.add_argument("--helper", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.helper:
        return helper_main()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the streams, here and in the servers we start
    if hard < 25000 and not args.quick:
        say(f"note: at most {hard} open files per process")
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass

    def stop(signum, frame):
        raise KeyboardInterrupt

    if not (shutil.which("wrk") or Path("/usr/bin/wrk").exists()):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    signal.signal(signal.SIGTERM, stop)
    workdir = tempfile.mkdtemp(prefix=f"bench-live-{args.db}-")
    started = time.monotonic()
    try:
        info = machine()
        rows, notes, results = bench(args.db, args.quick, workdir)
        print_table(args.db, rows, notes, info)
        print(f"\n({time.monotonic() - started:.0f} s; logs in {workdir})")
        if args.json:
            Path(args.json).write_text(json.dumps({"db": args.db, "machine": info, "rows": rows, "notes": notes,
                                                   "results": results}, indent=1, default=str))
    finally:
        cleanup()
        drop_database(args.db)


if __name__ == "__main__":
    sys.exit(main())
