"""The media of a session: the video stream link (hosts on an allow-list, embedded within the CSP) and the cover
image (checked by its content, stored under a generated name, served by dialogue.cover)."""
import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flask import current_app, url_for
from flask_babel import gettext as _

from feedback.asking import SIGNATURES
from web import CONTENT_SECURITY_POLICY

# Overridden by the DIALOGUE_STREAM_HOSTS setting. m.youtube.com is what a link copied on a phone holds.
DEFAULT_STREAM_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be")
YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"})
# The privacy-enhanced player: no tracking cookies until the viewer presses play.
YOUTUBE_EMBED = "https://www.youtube-nocookie.com/embed/"
YOUTUBE_FRAME_HOST = "https://www.youtube-nocookie.com"
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_PATHS = ("live", "embed", "shorts", "v")

COVER_MAX_BYTES = 2 * 1024 * 1024
COVER_TYPES = frozenset({"image/png", "image/jpeg"})
COVER_MAX_AGE = 24 * 3600  # the URL carries the file's name, so a replaced cover is fetched anew at once
_COVER_NAME = re.compile(r"^[0-9a-f]{32}\.(?:png|jpg)$")


class MediaError(ValueError):
    """A link or an image refused; the message is for the moderator."""


def stream_hosts():
    """The hosts a stream link may point to (config DIALOGUE_STREAM_HOSTS)."""
    return sorted({host.lower() for host in current_app.config.get("DIALOGUE_STREAM_HOSTS", DEFAULT_STREAM_HOSTS)})


def check_stream_url(url):
    """Refuse a stream link that is not a plain web address on an allowed host (or, on YouTube, not a video)."""
    parts = urlsplit((url or "").strip())
    try:
        odd = parts.port is not None or parts.username is not None
    except ValueError:
        odd = True
    if parts.scheme not in ("http", "https") or not parts.hostname or odd:
        raise MediaError(_("Enter the full address of the video, starting with https://."))
    if parts.hostname.lower() not in stream_hosts():
        raise MediaError(_("Links to %(host)s are not accepted. Use a link to one of: %(hosts)s.",
                           host=parts.hostname, hosts=", ".join(stream_hosts())))
    if parts.hostname.lower() in YOUTUBE_HOSTS and youtube_id(url) is None:
        raise MediaError(_("Give the link of the video or live stream itself, "
                           "for example https://www.youtube.com/watch?v=…"))


def youtube_id(url):
    """The video id of a YouTube link (watch?v=, youtu.be/, /live/, /embed/, /shorts/), or None."""
    parts = urlsplit((url or "").strip())
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    if host == "youtu.be":
        candidate = segments[0] if segments else ""
    elif host in YOUTUBE_HOSTS and segments[:1] == ["watch"]:
        candidate = (parse_qs(parts.query).get("v") or [""])[0]
    elif host in YOUTUBE_HOSTS and len(segments) >= 2 and segments[0] in _YOUTUBE_PATHS:
        candidate = segments[1]
    else:
        return None
    return candidate if _VIDEO_ID.match(candidate) else None


def embed_url(session):
    """The address for the public page's <iframe>, or None when the session has no stream link."""
    if not session.stream_url:
        return None
    video = youtube_id(session.stream_url)
    if video:
        return YOUTUBE_EMBED + video
    parts = urlsplit(session.stream_url)
    # Another host an administrator allowed: embedded as given, over https (frame-src allows only https).
    return parts._replace(scheme="https").geturl() if (parts.hostname or "").lower() in stream_hosts() else None


def frame_src():
    """The CSP frame-src sources a page embedding a stream must allow, space-separated."""
    hosts = stream_hosts()
    sources = [YOUTUBE_FRAME_HOST] if YOUTUBE_HOSTS & set(hosts) else []
    sources += [f"https://{host}" for host in hosts if host not in YOUTUBE_HOSTS]
    return " ".join(sources) or "'none'"


def content_security_policy():
    """The portal's CSP with frames allowed from the stream hosts only (for the page that embeds the video)."""
    return CONTENT_SECURITY_POLICY.replace("frame-src 'none'", f"frame-src {frame_src()}")


def cover_dir():
    """Where cover images are kept: outside static/, under the upload folder."""
    return Path(current_app.config["UPLOAD_DIR"]) / "covers"


def check_cover(storage):
    """The (content type, extension) and bytes of a PNG or JPEG image of at most 2 MB, judged by its content."""
    limit = current_app.config.get("DIALOGUE_COVER_MAX_BYTES", COVER_MAX_BYTES)
    data = storage.read(limit + 1)
    if len(data) > limit:
        raise MediaError(_("The image is larger than %(n)d MB.", n=limit // (1024 * 1024)))
    kind = next((kind for signature, kind in SIGNATURES.items()
                 if data.startswith(signature) and kind[0] in COVER_TYPES), None)
    if kind is None:
        raise MediaError(_("The cover must be a PNG or JPEG image."))
    return kind, data


def store_cover(kind, data):
    """Write a checked image under a generated name and return the name."""
    folder = cover_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.{kind[1]}"
    (folder / name).write_bytes(data)
    return name


def is_stored_cover(name):
    """Whether name is one of our generated cover names and the file is there."""
    return bool(name) and bool(_COVER_NAME.match(name)) and (cover_dir() / name).is_file()


def cover_mimetype(name):
    """The content type of a stored cover, from the extension we gave it."""
    return "image/png" if name.endswith(".png") else "image/jpeg"


def discard_cover(name):
    """Delete a cover that no session uses any more (called after the commit that replaced it)."""
    if name and _COVER_NAME.match(name):
        (cover_dir() / name).unlink(missing_ok=True)


def cover_url(session):
    """The public address of the session's cover image, or None; it changes when the image does."""
    if not session.cover_image:
        return None
    return url_for("dialogue.cover", session_id=session.id, v=session.cover_image[:8])
