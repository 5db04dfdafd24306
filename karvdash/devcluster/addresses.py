"""Pod addresses of the local kubelet: loopback aliases from a CIDR such as 127.0.16.0/20."""

from __future__ import annotations

import ipaddress


class AddressPool:
    """Loopback addresses for pods, from a CIDR such as ``127.0.16.0/20``."""

    def __init__(self, cidr: str) -> None:
        self.network = ipaddress.ip_network(cidr)
        self.taken: set[str] = set()

    def contains(self, ip: str) -> bool:
        try:
            return ipaddress.ip_address(ip) in self.network
        except ValueError:
            return False

    def claim(self, ip: str) -> bool:
        if not self.contains(ip) or ip in self.taken:
            return False
        self.taken.add(ip)
        return True

    def allocate(self) -> str:
        for host in self.network.hosts():
            ip = str(host)
            if ip.endswith((".0", ".1", ".255")) or ip in self.taken:
                continue
            self.taken.add(ip)
            return ip
        raise RuntimeError(f"no free pod address left in {self.network}")

    def release(self, ip: str) -> None:
        self.taken.discard(ip)
