"""Solving an `open.challenge` (docs/protocol.md §8.3.1) with ALTCHA's solver."""

from __future__ import annotations

import asyncio

from altcha import solve_challenge_v1

from chat.crypto.errors import BadObject
from chat.protocol import frames as f


def pow_solve(challenge: f.OpenChallenge) -> f.OpenPow:
    """The number whose SHA-256 with the salt is the challenge: about max_number / 2
    hashes on average."""
    solution = solve_challenge_v1(
        challenge.challenge, challenge.salt, challenge.algorithm, challenge.max_number
    )
    if solution is None:
        raise BadObject("the open challenge has no solution")
    return f.OpenPow(
        algorithm=challenge.algorithm,
        challenge=challenge.challenge,
        salt=challenge.salt,
        hmac=challenge.hmac,
        number=solution.number,
    )


async def pow_solve_off_loop(challenge: f.OpenChallenge) -> f.OpenPow:
    return await asyncio.to_thread(pow_solve, challenge)
