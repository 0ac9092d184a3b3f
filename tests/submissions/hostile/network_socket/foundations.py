"""Hostile fixture `network_socket` (escape and persistence): opens TCP connections (a package
registry, a public DNS server), sends UDP and tries an abstract unix socket.

tests/test_hostile.py puts this into the reference's module (each function replaces the reference's
of the same name) and grades it."""

import socket


def deriv(func, input_, diff=0.001):
    for address in (("pypi.org", 443), ("151.101.0.223", 443), ("1.1.1.1", 53)):
        try:
            with socket.create_connection(address, timeout=0.3):
                print("connected to", address)
        except OSError:
            pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"pwned", ("1.1.1.1", 53))
            print("sent a datagram to 1.1.1.1")
    except OSError:
        pass
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix:
            unix.settimeout(0.3)
            unix.connect("\0nn-autograder")
            print("connected to an abstract unix socket")
    except OSError:
        pass
    return None
