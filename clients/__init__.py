"""Tenancy (users, consultancies, clients, roles, keys) and the per-client platform pieces."""
