"""Host and VM records in the server's shapes: Go ``OrchestratorHostResponse`` and the Parallels VM object.

Go's ``omitempty`` drops empty optional fields (``""``, ``0``, ``false``, ``[]``, ``{}``, nil), so a record
here leaves them out too; fields without it are always present.
"""

from __future__ import annotations

from typing import Any

from .catalogue import ENABLED_MODULES, RUNNING, STOPPED, SUSPENDED
from .entities import SimHost, SimVM

#: MB the host keeps for itself
RESERVED = {"logical_cpu_count": 1, "memory_size": 2048, "disk_size": 20_480}


def omit_empty(record: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``record`` without the listed keys whose value is empty, as ``omitempty`` writes it."""
    for key in keys:
        if key in record and record[key] in ("", 0, False, None, [], {}):
            del record[key]
    return record


def is_active(vm: SimVM) -> bool:
    """Holding the host's resources: anything but stopped or suspended."""
    return vm.state not in (STOPPED, SUSPENDED)


def running_macs(host: SimHost) -> list[str]:
    """The ids of the host's running macOS VMs, as ``mac_vms_running`` lists them."""
    return [vm.id for vm in host.vms.values() if vm.is_mac and vm.state == RUNNING]


def _resource_item(**values: Any) -> dict[str, Any]:
    """Go ``HostResourceItem``; ``logical_cpu_count`` and ``memory_size`` have no ``omitempty``."""
    item = {"total_apple_vms": 0, "physical_cpu_count": 0, "logical_cpu_count": 0, "memory_size": 0,
            "disk_size": 0, "free_disk_size": 0, "mac_vms_running": [], "prl_home_size": 0, "prl_home_free_size": 0}
    item.update(values)
    return omit_empty(item, "total_apple_vms", "physical_cpu_count", "disk_size", "free_disk_size", "mac_vms_running",
                      "prl_home_size", "prl_home_free_size")


def _proxy_hosts(host: SimHost) -> list[dict[str, Any]]:
    """The host's reverse proxy hosts (Go ``ReverseProxyHost``): one HTTP route to its first running VM."""
    target = next((vm for vm in host.vms.values() if vm.state == RUNNING), None)
    route: dict[str, Any] = {"id": f"{host.id[:8]}-route-1", "order": 1, "path": "/", "target_port": "8080",
                             "schema": "http"}
    if target is not None:
        route["target_vm_id"] = target.id
    else:
        route["target_host"] = "127.0.0.1"
    return [{"id": f"{host.id[:8]}-proxy-1", "name": "ci-dashboard", "host": "0.0.0.0", "port": "8080",
             "http_routes": [route]}]


def host_record(host: SimHost) -> dict[str, Any]:
    """``GET /api/v1/orchestrator/hosts``: one host, every field of ``OrchestratorHostResponse``."""
    vms = host.vms.values()
    macs = running_macs(host)
    apple = sum(1 for vm in vms if vm.is_mac)
    in_use_cpus = sum(vm.cpus for vm in vms if is_active(vm))
    in_use_memory = sum(vm.memory_mb for vm in vms if is_active(vm))
    used_disk = host.disk_mb - host.free_disk_mb
    prl_home = sum(vm.disk_gb * 1024 for vm in vms)
    total = {"physical_cpu_count": host.cores, "logical_cpu_count": host.cpus, "memory_size": host.memory_mb,
             "disk_size": host.disk_mb, "free_disk_size": host.free_disk_mb}
    in_use = {"logical_cpu_count": in_use_cpus, "memory_size": in_use_memory, "disk_size": used_disk}
    available = {key: max(0, total[key] - in_use[key] - RESERVED[key]) for key in in_use}
    record: dict[str, Any] = {
        "id": host.id,
        "enabled": True,
        "host": host.url,
        "architecture": host.architecture,
        "cpu_model": host.cpu_model,
        "os_version": host.os_version,
        "os_name": "macOS",
        "external_ip_address": host.ip,
        "devops_version": host.devops_version,
        "description": host.description,
        "tags": list(host.tags),
        "state": host.state,
        "parallels_desktop_version": host.parallels_version,
        "parallels_desktop_licensed": True,
        "has_websocket_events": host.link != "disconnected",  # the live link is up (degraded is still up)
        "is_local": host.local,
        "is_reverse_proxy_enabled": host.reverse_proxy,
        "is_log_streaming_enabled": True,
        "enabled_modules": [*ENABLED_MODULES, *(["reverse_proxy"] if host.reverse_proxy else [])],
        "reverse_proxy": None,
        "reverse_proxy_hosts": [],
        "resources": _resource_item(total_apple_vms=apple, mac_vms_running=macs, **total,
                                    prl_home_size=prl_home, prl_home_free_size=host.free_disk_mb),
        "detailed_resources": {
            "total_apple_vms": apple,
            "system_reserved": _resource_item(**RESERVED),
            "total": _resource_item(total_apple_vms=apple, **total),
            "total_available": _resource_item(**available),
            "total_in_use": _resource_item(mac_vms_running=macs, **in_use),
            "total_reserved": _resource_item(logical_cpu_count=0, memory_size=0),
        },
        "cache_config": {"enabled": True, "folder": "/Users/ci/.prl-devops/catalog_cache",
                         "keep_free_disk_space": 20_480, "max_size": 204_800},
        "cache_items": [dict(item) for item in host.cache_items],
        "required_claims": list(host.required_claims),
        "required_roles": list(host.required_roles),
    }
    if host.reverse_proxy:
        proxies = _proxy_hosts(host)
        record["reverse_proxy"] = {"enabled": True, "host": "0.0.0.0", "port": "80", "hosts": proxies}
        record["reverse_proxy_hosts"] = proxies
    omit_empty(record["detailed_resources"], "total_apple_vms")
    return omit_empty(record, "os_version", "os_name", "external_ip_address", "devops_version", "description",
                      "tags", "state", "parallels_desktop_version", "parallels_desktop_licensed", "is_local",
                      "enabled_modules", "reverse_proxy", "reverse_proxy_hosts", "cache_items", "required_claims",
                      "required_roles")


# ----------------------------------------------------------------------------- VMs
#
# The sections of a Parallels VM object that no simulated VM changes: shared by every record (nothing
# mutates them; a reader that wants to must copy).

_SECTIONS: dict[str, Any] = {
    "Mouse and Keyboard": {"Smart mouse optimized for games": "auto", "Sticky mouse": "off",
                           "Smooth scrolling": "on", "Keyboard optimization mode": "auto"},
    "USB and Bluetooth": {"Automatic sharing cameras": "on", "Automatic sharing bluetooth": "off",
                          "Automatic sharing smart cards": "off", "Automatic sharing gamepads": "on",
                          "Support USB 3.0": "on"},
    "Startup and Shutdown": {"Autostart": "off", "Autostart delay": 0, "Autostop": "suspend",
                             "Startup view": "headless", "On shutdown": "close window",
                             "On window close": "keep running", "Pause idle": "off", "Undo disks": "off"},
    "Optimization": {"Faster virtual machine": "on", "Hypervisor type": "apple", "Adaptive hypervisor": "off",
                     "Disabled Windows logo": "on", "Auto compress virtual disks": "on",
                     "Nested virtualization": "off", "PMU virtualization": "off", "Longer battery life": "off",
                     "Show battery status": "on", "Resource quota": "unlimited"},
    "Travel mode": {"Enter condition": "never", "Enter threshold": 0, "Quit condition": "never"},
    "Security": {"Encrypted": "off", "TPM enabled": "off", "TPM type": "none", "Custom password protection": "off",
                 "Configuration is locked": "off", "Protected": "off", "Archived": "off", "Packed": "off"},
    "Smart Guard": {"enabled": False},
    "Modality": {"Opacity (percentage)": 50, "Stay on top": "on", "Show on all spaces ": "on",
                 "Capture mouse clicks": "on"},
    "Fullscreen": {"Use all displays": "off", "Activate spaces on click": "on", "Optimize for games": "off",
                   "Gamma control": "on", "Scale view mode": "auto"},
    "Coherence": {"Show Windows systray in Mac menu": "on", "Auto-switch to full screen": "on",
                  "Disable aero": "off", "Hide minimized windows": "off"},
    "Time Synchronization": {"enabled": True, "Smart mode": "on", "Interval (in seconds)": 60,
                             "Timezone synchronization disabled": "off"},
    "Expiration": {"enabled": False},
}
_SHARING: dict[str, Any] = {
    "Host Shared Folders": {},
    "Host defined sharing": "off",
    "Shared Profile": {"enabled": False},
    "Shared Applications": {"enabled": False, "Host-to-guest apps sharing": "off",
                            "Guest-to-host apps sharing": "off", "Show guest apps folder in Dock": "off",
                            "Show guest notifications": "off", "Bounce dock icon when app flashes": "off"},
    "SmartMount": {"enabled": False},
    "Miscellaneous Sharing": {"Shared clipboard": "on", "Shared cloud": "off"},
    "Advanced": {"VM hostname synchronization": "on", "Public SSH keys synchronization": "off",
                 "Show developer tools": "off", "Swipe from edges": "off", "Share host location": "off",
                 "Rosetta Linux": "off"},
    "Print Management": {"Synchronize with host printers": "off", "Synchronize default printer": "off",
                         "Show host printer UI": "off"},
    "Guest Shared Folders": {"enabled": False, "Automount": "off"},
}
_BOUND = {"Bandwidth": "0", "Packet Loss": "0", "Delay": "0"}


def vm_record(host: SimHost, vm: SimVM, *, listing: bool = True) -> dict[str, Any]:
    """The Parallels VM object, keys capitalised as Parallels prints them (Go ``ParallelsVM``, in its field order).

    ``listing``: as ``GET /api/v1/orchestrator/machines`` lists it, with the orchestrator's fields about the host
    (``host_id``, ``host_name``, ``host_state``...); else as the host itself describes the VM in its events.
    """
    home = f"/Users/ci/Parallels/{vm.name}.pvm/"
    record: dict[str, Any] = {"ID": vm.id}
    if listing and not host.local:
        record.update(host=host.url, host_url=host.url, host_id=host.id, host_name=host.name, host_state=host.state,
                      host_external_ip_address=host.ip)
    record["internal_ip_address"] = vm.ip  # the last address the guest tools reported
    record.update({
        "user": "ci",
        "Name": vm.name,
        "Description": vm.description,
        "Type": "VM",
        "State": vm.state,
        "OS": vm.os,
        "Template": "no",
        "Uptime": str(vm.uptime),
        "Home path": home + "config.pvs",
        "Home": home,
        "Restore Image": "",
        "GuestTools": {"state": "installed", "version": host.parallels_version},
        **_SECTIONS,
        "Boot order": "hdd0 cdrom0 net0",
        "BIOS type": "efi-arm64" if host.architecture == "arm64" else "efi64",
        "EFI Secure boot": "off",
        "Allow select boot device": "off",
        "External boot device": "",
        "SMBIOS settings": {"BIOS Version": "", "System serial number": "", "Board Manufacturer": "Parallels"},
        "Hardware": {
            "cpu": {"cpus": vm.cpus, "auto": "off", "VT-x": True, "hotplug": False, "accl": "high", "mode": "64",
                    "type": host.architecture},
            "memory": {"size": f"{vm.memory_mb}Mb", "auto": "off", "hotplug": False},
            "video": {"adapter-type": "parallels", "size": "1024Mb", "3d-acceleration": "highest",
                      "vertical-sync": "yes", "high-resolution": "off", "high-resolution-in-guest": "off",
                      "native-scaling-in-guest": "off", "automatic-video-memory": "on"},
            "memory_quota": {"auto": "on"},
            "hdd0": {"enabled": True, "port": "sata:0", "image": home + "harddisk.hdd", "type": "expanded",
                     "size": f"{vm.disk_gb * 1024}Mb", "online-compact": "off"},
            "cdrom0": {"enabled": True, "port": "sata:1", "image": "", "state": "disconnected"},
            "usb": {"enabled": True},
            "net0": {"enabled": True, "type": "shared", "mac": vm.mac_address, "card": "virtio"},
            "sound0": {"enabled": True, "output": "Default", "mixer": "Default"},
        },
        **_SHARING,
        "Network": {"Conditioned": "off", "Inbound": _BOUND, "Outbound": _BOUND,
                    "ipAddresses": [{"type": "ipv4", "ip": vm.ip}]},
    })
    return record
