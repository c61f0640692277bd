"""Platform name -> driver. The one place that knows which class serves which platform."""
from __future__ import annotations

from govctl.network.drivers.base import DeviceDriver
from govctl.network.drivers.comware import ComwareDriver
from govctl.network.drivers.frr import FrrDriver
from govctl.network.drivers.napalm_adapter import NAPALM_NAMES, NapalmAdapter
from govctl.network.errors import DeviceError
from govctl.network.models import DeviceTarget


def driver_for(target: DeviceTarget) -> DeviceDriver:
    if target.platform == "frr":
        return FrrDriver(target)
    if target.platform == "h3c_comware":
        # napalm-h3c-comware has getters only: govctl's own netmiko-based driver
        return ComwareDriver(target)
    if target.platform in NAPALM_NAMES:
        return NapalmAdapter(target)
    raise DeviceError(target.node, "open", f"no config driver for platform '{target.platform}'")
