"""Password hashing tuned for the machines Waypoint runs on (2 cores per web process)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class TunedArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with parallelism matched to two cores.

    Django's default asks for 8 lanes; on a 2-core box they only queue. Two lanes with three
    passes over 64 MiB keep the cost of one guess about the same for an attacker while a login
    takes roughly a tenth of a second here.
    """

    algorithm = "argon2"  # same identifier: hashes made by Django's default still verify
    time_cost = 3
    memory_cost = 65536
    parallelism = 2
