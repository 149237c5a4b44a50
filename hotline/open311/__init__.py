"""Open311 GeoReport v2: citizens' apps report a broken light, a fly-tip, a pothole.

The services are the hotline's categories marked public; a posted request enters the room as a
web call with its intervention (hotline.services.take_call), and its status follows the
intervention. Served at /open311/v2/ (urls.py), read access per ondijon/standards.py.
"""
