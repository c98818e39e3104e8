"""The outbox: messages for other systems, stored with the change, delivered later.

Writers call `service.outbox.repo.enqueue` inside the transaction of the change;
a worker in each instance (`worker.Worker`) claims due rows with `FOR UPDATE SKIP
LOCKED` and hands them to the `Channel` named by the part of their destination
before ':' (`email`, `webhook:<id>`, …), registered in `app[keys.outbox_channels]`.
Semantics, settings and the webhook signature: docs/DECISIONS.md, "Outbox".
"""
