"""Durable job runner: claims jobs with leases, heartbeats, runs the pipeline, writes results idempotently."""
