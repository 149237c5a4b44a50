"""Video protection: the key that encrypts cameras' logins, the media gateway, retention."""

from django.core.exceptions import ImproperlyConfigured

from .base import DEBUG
from .env import env_bool, env_int, env_list, env_str
from .security import SECRET_KEY

# A Fernet key (32 url-safe base64 bytes: `python3 -c "from cryptography.fernet import Fernet;
# print(Fernet.generate_key().decode())"`). Unset in development, one is derived from the
# SECRET_KEY; in production a camera's login cannot be stored without it.
CAMERA_CREDENTIALS_KEY = env_str("CAMERA_CREDENTIALS_KEY")
CAMERA_CREDENTIALS_DERIVED = not CAMERA_CREDENTIALS_KEY and DEBUG
CAMERA_CREDENTIALS_SECRET = SECRET_KEY if CAMERA_CREDENTIALS_DERIVED else ""

# The media gateways (`manage.py media_gateway`, several can run): their addresses as the web
# app reaches them for signalling, each camera going to one of them by its number; unset, the
# web app runs a gateway in its own process (the embedded default). They share a token.
MEDIA_GATEWAY_URLS = env_list("MEDIA_GATEWAY_URLS")
MEDIA_GATEWAY_TOKEN = env_str("MEDIA_GATEWAY_TOKEN")
if MEDIA_GATEWAY_URLS and len(MEDIA_GATEWAY_TOKEN) < 16:
    raise ImproperlyConfigured("MEDIA_GATEWAY_TOKEN (16 characters or more) must be set.")
# STUN/TURN servers for screens beyond the gateway's network (stun:host:3478); none by default.
MEDIA_GATEWAY_ICE_SERVERS = env_list("MEDIA_GATEWAY_ICE_SERVERS")
# A camera nobody has watched for this long is no longer pulled.
MEDIA_GATEWAY_IDLE_SECONDS = env_int("MEDIA_GATEWAY_IDLE_SECONDS", 10)
# Simulated cameras are drawn by the gateway when no RTSP server serves them.
SIMULATED_CAMERAS_IN_GATEWAY = env_bool("SIMULATED_CAMERAS_IN_GATEWAY", True)
SIMULATED_CAMERA_PACKETS = "ondijon.demo.cameras.simulated_packets"
# A simulated camera's picture at a given time (an alert's snapshot).
SIMULATED_CAMERA_PICTURE = "ondijon.demo.cameras.simulated_picture"

# Walls of this many tiles or more watch their cameras' sub streams (smaller pictures: a
# browser decodes sixteen of them at full rate, not sixteen main streams); the alarm tile and
# smaller layouts the main stream.
VIDEO_SUB_STREAM_FROM_LAYOUT = env_int("VIDEO_SUB_STREAM_FROM_LAYOUT", 9)
# The MJPEG fallback's pictures a second (each decoded and encoded again by the gateway).
VIDEO_MJPEG_FPS = env_int("VIDEO_MJPEG_FPS", 10)

# Alerts' snapshots are deleted after this many days (CNIL: 30); the log of who watched what
# stays in the events log, which is append-only (supervision/video/snapshots.py).
VIDEO_RETENTION_DAYS = env_int("VIDEO_RETENTION_DAYS", 30)

# Steering a PTZ camera (ONVIF): how long the room waits for the camera to answer, and how
# long a continuous move lasts at most when no stop comes (a screen gone mid-move).
CAMERA_PTZ_TIMEOUT_SECONDS = env_int("CAMERA_PTZ_TIMEOUT_SECONDS", 10)
CAMERA_PTZ_MOVE_SECONDS = env_int("CAMERA_PTZ_MOVE_SECONDS", 10)
