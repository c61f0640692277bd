"""Device drivers behind one contract (``base.DeviceDriver``)."""
