"""A simulated ONVIF camera: the device, media and PTZ services a PTZ camera of the room
answers over SOAP, on a port of its own, so the room steers a camera with no hardware.

It answers what the room's PTZ client asks (GetServices, GetProfiles, GetPresets, GotoPreset,
ContinuousMove, Stop, GetStatus), checks the WS-Security login (a password digest, as real
cameras do), keeps its position (a continuous move turns it at its speed until Stop or the
move's timeout) and remembers each operation it was asked, for the tests and the demo.
"""

import base64
import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree
from xml.sax.saxutils import escape

SOAP = "http://www.w3.org/2003/05/soap-envelope"
DEVICE = "http://www.onvif.org/ver10/device/wsdl"
MEDIA = "http://www.onvif.org/ver10/media/wsdl"
PTZ = "http://www.onvif.org/ver20/ptz/wsdl"
SCHEMA = "http://www.onvif.org/ver10/schema"
PROFILE = "main"
PATHS = {DEVICE: "/onvif/device_service", MEDIA: "/onvif/media_service", PTZ: "/onvif/ptz"}
# A camera turns at most half a turn a second at full speed.
DEGREES_PER_SECOND = 180.0


@dataclass
class Preset:
    token: str
    name: str
    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0


@dataclass
class Motion:
    """Where the camera points (ONVIF's normalised space, -1..1, zoom 0..1) and how it moves."""

    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0
    velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)
    since: float = field(default_factory=time.monotonic)
    until: float | None = None

    def settle(self) -> None:
        now = time.monotonic()
        end = min(now, self.until) if self.until is not None else now
        seconds = max(end - self.since, 0.0)
        step = DEGREES_PER_SECOND / 180 * seconds
        vp, vt, vz = self.velocity
        self.pan = max(-1.0, min(1.0, self.pan + vp * step))
        self.tilt = max(-1.0, min(1.0, self.tilt + vt * step))
        self.zoom = max(0.0, min(1.0, self.zoom + vz * step))
        self.since = now
        if self.until is not None and now >= self.until:
            self.velocity, self.until = (0.0, 0.0, 0.0), None

    @property
    def moving(self) -> bool:
        self.settle()
        return self.velocity != (0.0, 0.0, 0.0)


class SoapFault(Exception):
    def __init__(self, subcode: str, reason: str, status: int = 400):
        super().__init__(reason)
        self.subcode, self.reason, self.status = subcode, reason, status


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def child(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
    return next((item for item in element.iter() if local(item.tag) == name), None)


def number(element: ElementTree.Element | None, attribute: str) -> float:
    if element is None:
        return 0.0
    try:
        return float(element.get(attribute, "0"))
    except ValueError as error:
        raise SoapFault("ter:InvalidArgVal", f"{attribute} is not a number") from error


def seconds_of(duration: str | None) -> float | None:
    """An xs:duration as ONVIF's clients send a move's timeout (PT10S, PT1M, PT0.5S)."""
    if not duration:
        return None
    match = re.fullmatch(r"P(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?", duration.strip())
    if not match:
        raise SoapFault("ter:InvalidArgVal", "Timeout is not a duration")
    hours, minutes, secs = (float(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + secs


class SimulatedOnvifCamera:
    """One simulated camera's ONVIF services on 127.0.0.1:`port` (0: a free port)."""

    def __init__(
        self,
        username: str = "",
        password: str = "",
        presets: list[Preset] | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.username, self.password = username, password
        self.presets = {preset.token: preset for preset in presets or []}
        self.motion = Motion()
        self.calls: list[str] = []  # each operation asked, in order
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), self.handler())
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None

    # --- Its life -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        """Its device service, as a camera's ONVIF address is written."""
        return f"http://127.0.0.1:{self.port}{PATHS[DEVICE]}"

    def start(self) -> "SimulatedOnvifCamera":
        self.thread = threading.Thread(
            target=self.server.serve_forever, name=f"onvif-camera-{self.port}", daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "SimulatedOnvifCamera":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def position(self) -> tuple[float, float, float]:
        with self.lock:
            self.motion.settle()
            return self.motion.pan, self.motion.tilt, self.motion.zoom

    @property
    def moving(self) -> bool:
        with self.lock:
            return self.motion.moving

    # --- SOAP ---------------------------------------------------------------------------------

    def handler(self) -> type[BaseHTTPRequestHandler]:
        camera = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                status, body = camera.answer(self.rfile.read(length))
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass  # the tests read `calls`, not a log

        return Handler

    def answer(self, request: bytes) -> tuple[int, str]:
        try:
            envelope = ElementTree.fromstring(request)
            body = child(envelope, "Body")
            operation = next(iter(body)) if body is not None and len(body) else None
            if operation is None:
                raise SoapFault("ter:ActionNotSupported", "No operation")
            name = local(operation.tag)
            # The time is asked before logging in, to sign the login against the camera's clock.
            if name != "GetSystemDateAndTime":
                self.check_login(envelope)
            with self.lock:
                self.calls.append(name)
                return 200, envelope_of(self.operate(name, operation))
        except SoapFault as fault:
            return fault.status, envelope_of(fault_body(fault))
        except ElementTree.ParseError:
            return 400, envelope_of(fault_body(SoapFault("ter:WellFormed", "Not XML")))

    def check_login(self, envelope: ElementTree.Element) -> None:
        if not self.username:
            return
        token = child(envelope, "UsernameToken")
        if token is None:
            raise SoapFault("ter:NotAuthorized", "Sender not authorized", 401)
        values = {local(item.tag): (item.text or "") for item in token}
        nonce = base64.b64decode(values.get("Nonce", ""))
        expected = base64.b64encode(
            hashlib.sha1(
                nonce + values.get("Created", "").encode() + self.password.encode()
            ).digest()
        ).decode()
        if values.get("Username") != self.username or values.get("Password") != expected:
            raise SoapFault("ter:NotAuthorized", "Sender not authorized", 401)

    def operate(self, name: str, operation: ElementTree.Element) -> str:
        answers = {
            "GetSystemDateAndTime": self.system_date_and_time,
            "GetServices": self.services,
            "GetProfiles": self.profiles,
            "GetPresets": self.get_presets,
            "GotoPreset": self.goto_preset,
            "ContinuousMove": self.continuous_move,
            "Stop": self.stop_moving,
            "GetStatus": self.status,
        }
        if name not in answers:
            raise SoapFault("ter:ActionNotSupported", f"{name} is not supported")
        return answers[name](operation)

    def system_date_and_time(self, operation) -> str:
        now = time.gmtime()
        return (
            f'<tds:GetSystemDateAndTimeResponse xmlns:tds="{DEVICE}" xmlns:tt="{SCHEMA}">'
            "<tds:SystemDateAndTime><tt:DateTimeType>Manual</tt:DateTimeType>"
            "<tt:DaylightSavings>false</tt:DaylightSavings><tt:UTCDateTime>"
            f"<tt:Time><tt:Hour>{now.tm_hour}</tt:Hour><tt:Minute>{now.tm_min}</tt:Minute>"
            f"<tt:Second>{now.tm_sec}</tt:Second></tt:Time>"
            f"<tt:Date><tt:Year>{now.tm_year}</tt:Year><tt:Month>{now.tm_mon}</tt:Month>"
            f"<tt:Day>{now.tm_mday}</tt:Day></tt:Date>"
            "</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
        )

    def services(self, operation) -> str:
        entries = "".join(
            f"<tds:Service><tds:Namespace>{namespace}</tds:Namespace>"
            f"<tds:XAddr>http://127.0.0.1:{self.port}{path}</tds:XAddr>"
            "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version>"
            "</tds:Service>"
            for namespace, path in PATHS.items()
        )
        return (
            f'<tds:GetServicesResponse xmlns:tds="{DEVICE}" xmlns:tt="{SCHEMA}">'
            f"{entries}</tds:GetServicesResponse>"
        )

    def profiles(self, operation) -> str:
        return (
            f'<trt:GetProfilesResponse xmlns:trt="{MEDIA}" xmlns:tt="{SCHEMA}">'
            f'<trt:Profiles token="{PROFILE}" fixed="true"><tt:Name>{PROFILE}</tt:Name>'
            "</trt:Profiles></trt:GetProfilesResponse>"
        )

    def check_profile(self, operation) -> None:
        token = child(operation, "ProfileToken")
        if token is None or (token.text or "").strip() != PROFILE:
            raise SoapFault("ter:NoProfile", "No such profile")

    def get_presets(self, operation) -> str:
        self.check_profile(operation)
        entries = "".join(
            f'<tptz:Preset token="{escape(p.token)}"><tt:Name>{escape(p.name)}</tt:Name>'
            "</tptz:Preset>"
            for p in self.presets.values()
        )
        return (
            f'<tptz:GetPresetsResponse xmlns:tptz="{PTZ}" xmlns:tt="{SCHEMA}">'
            f"{entries}</tptz:GetPresetsResponse>"
        )

    def goto_preset(self, operation) -> str:
        self.check_profile(operation)
        token = child(operation, "PresetToken")
        preset = self.presets.get((token.text or "").strip() if token is not None else "")
        if preset is None:
            raise SoapFault("ter:NoToken", "No such preset")
        self.motion = Motion(preset.pan, preset.tilt, preset.zoom)
        return f'<tptz:GotoPresetResponse xmlns:tptz="{PTZ}"/>'

    def continuous_move(self, operation) -> str:
        self.check_profile(operation)
        velocity = child(operation, "Velocity")
        pan_tilt = child(velocity, "PanTilt") if velocity is not None else None
        zoom = child(velocity, "Zoom") if velocity is not None else None
        speeds = (number(pan_tilt, "x"), number(pan_tilt, "y"), number(zoom, "x"))
        if any(abs(speed) > 1 for speed in speeds):
            raise SoapFault("ter:InvalidArgVal", "Speed out of range")
        timeout = child(operation, "Timeout")
        seconds = seconds_of(timeout.text if timeout is not None else None)
        self.motion.settle()
        self.motion.velocity = speeds
        self.motion.until = time.monotonic() + seconds if seconds else None
        return f'<tptz:ContinuousMoveResponse xmlns:tptz="{PTZ}"/>'

    def stop_moving(self, operation) -> str:
        self.check_profile(operation)
        self.motion.settle()
        self.motion.velocity, self.motion.until = (0.0, 0.0, 0.0), None
        return f'<tptz:StopResponse xmlns:tptz="{PTZ}"/>'

    def status(self, operation) -> str:
        self.check_profile(operation)
        moving = "MOVING" if self.motion.moving else "IDLE"
        m = self.motion
        return (
            f'<tptz:GetStatusResponse xmlns:tptz="{PTZ}" xmlns:tt="{SCHEMA}"><tptz:PTZStatus>'
            f'<tt:Position><tt:PanTilt x="{m.pan:.4f}" y="{m.tilt:.4f}"/>'
            f'<tt:Zoom x="{m.zoom:.4f}"/></tt:Position>'
            f"<tt:MoveStatus><tt:PanTilt>{moving}</tt:PanTilt><tt:Zoom>{moving}</tt:Zoom>"
            f"</tt:MoveStatus><tt:UtcTime>{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}"
            "</tt:UtcTime></tptz:PTZStatus></tptz:GetStatusResponse>"
        )


def envelope_of(body: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{SOAP}">'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    )


def fault_body(fault: SoapFault) -> str:
    return (
        '<s:Fault xmlns:ter="http://www.onvif.org/ver10/error">'
        "<s:Code><s:Value>s:Sender</s:Value>"
        f"<s:Subcode><s:Value>{fault.subcode}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en">{escape(fault.reason)}</s:Text></s:Reason></s:Fault>'
    )


def serve_demo_cameras() -> list[SimulatedOnvifCamera]:
    """One simulated ONVIF camera per simulated PTZ camera of the demo, each on its own port,
    written as that camera's ONVIF address: the demo wall's PTZ tiles steer with no hardware."""
    from equipment.cameras import update_camera
    from equipment.models import Camera

    served = []
    for number, camera in enumerate(
        Camera.objects.filter(simulated=True, ptz=True).select_related("equipment")
    ):
        presets = [
            Preset(
                str(p.get("token")), str(p.get("name", "")), (index * 0.6 + number * 0.1) % 2 - 1
            )
            for index, p in enumerate(camera.presets)
        ]
        server = SimulatedOnvifCamera(presets=presets).start()
        update_camera(camera, {"onvif_url": server.url})
        served.append(server)
    return served
