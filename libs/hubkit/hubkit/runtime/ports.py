import socket


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def tcp_listener(host: str, port: int) -> socket.socket:
    """A listening TCP socket for several server processes to accept on (uvicorn workers).

    Its protocol is stated (IPPROTO_TCP), not left at 0: accepted connections inherit it, and asyncio sets
    TCP_NODELAY only on connections that say they are TCP. Without it every answer on a kept-alive connection
    waited for the client's delayed ACK, ~40 ms on Linux (uvicorn's own listener for `workers` does that:
    Kludex/uvicorn#3149), which made two gateway workers serve a quarter of what one did."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def wait_for_port(port: int, timeout: float, host: str = "127.0.0.1") -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.05)
    return False


def ephemeral_range() -> tuple[int, int]:
    """The ports the kernel hands out as clients' source ports (Linux; a common default elsewhere)."""
    try:
        low, high = open("/proc/sys/net/ipv4/ip_local_port_range").read().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port_block(count: int, host: str = "127.0.0.1") -> int:
    """A base port with base .. base+count-1 all free, chosen below the kernel's ephemeral range: a port
    from that range, free when checked, can be taken by any client's outgoing connection before the
    server binds it, which is what made hubs started on such ports fail now and then."""
    import random

    low = 20000
    high = min(ephemeral_range()[0], 32768) - count - 1
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(low, high) // 10 * 10
        if all(port_is_free(base + i, host) for i in range(count)):
            return base
    raise OSError(f"no block of {count} free ports below the ephemeral range")
