"""The virtual-time loop: time moves to the next timer only when every task waits."""

from __future__ import annotations

import asyncio
import math

from nano_banana_pro.testing import run_in_virtual_time


def test_time_jumps_to_the_next_timer_when_every_task_waits() -> None:
    async def main() -> float:
        await asyncio.gather(asyncio.sleep(30.0), asyncio.sleep(90.0))
        return asyncio.get_running_loop().time()

    assert run_in_virtual_time(main()) == 90.0


def test_a_wait_shorter_than_the_clock_resolution_still_ends_after_its_time() -> None:
    """asyncio runs a timer due within its clock's resolution at once; while other tasks are
    busy, virtual time did not move meanwhile, and a wait until a time asked again and again
    (B6 hung so, its rate limit waiting 2.8e-14 s at a time)."""

    async def busy() -> None:
        for _ in range(100):
            await asyncio.sleep(0)

    async def main() -> int:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(144.5)
        target = math.nextafter(loop.time(), math.inf)
        others = asyncio.ensure_future(busy())
        waits = 0
        while loop.time() < target and waits < 50:
            await asyncio.sleep(target - loop.time())
            waits += 1
        await others
        return waits

    assert run_in_virtual_time(main()) == 1
