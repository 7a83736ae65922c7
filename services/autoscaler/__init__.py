"""Backlog-aware autoscaling and capacity planning.

Scale on work waiting (audio seconds queued per stage, from the job store), not on request counts: a replica
holding one 40-minute call and one holding a 20-second call report the same "one ongoing request".

Modules, one job each:
- settings.py    `AutoscalerSettings` (the `autoscaler` section of the settings tree)
- policy.py      the pure scaling decision (bounds, hysteresis, scale to zero), property-tested
- backlog.py     queued / in-flight audio seconds per stage from the job store, and a cache for the 0.1 s loop
- ray_policy.py  the Ray Serve custom autoscaling policy that plugs the two together
- throughput.py  compute seconds per audio second per stage and hardware, each figure with its source
- workload.py    a day of calls: diurnal arrival profile and call durations
- plan.py        replicas, GPUs and cost for a volume and an SLA
- simulate.py    replays a day of arrivals against the policy; SLA misses, queue peak, GPU-hours, plot
- cli.py         `parley plan`

Nothing here imports Ray, SQLAlchemy or matplotlib at import time.
"""
