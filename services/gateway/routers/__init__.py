"""Routers per endpoint family: calls (/v1/calls), webhooks, gladia (/v2/pre-recorded), openai
(/v1/audio/transcriptions), health (/healthz, /readyz, /metrics)."""
