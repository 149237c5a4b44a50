"""Live video on the wall and the desks: the media gateway, its signalling, the view log."""
