"""Production checks as a running service: is it up, is it slow, are jobs failing, did the
last deployment change anything.

Pure logic (no I/O): ``settings`` (the ``[monitor]`` section), ``conditions`` (Gatus-style
conditions), ``defaults`` (the checks every environment gets), ``state`` (up/down with
thresholds), ``latency`` (slow and deploy verdicts on ``parity.measure``'s statistics),
``job_health`` (from the job ledger), ``rollup`` and ``answers`` (the four answers).
I/O: ``records`` (the state store), ``probe`` (HTTP through ``parity.targets.site``),
``alerts`` (webhooks), ``scheduler`` and ``service`` (what ``parity serve`` runs).
"""
