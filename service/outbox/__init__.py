"""The outbox: messages for other systems, stored with the change, delivered later.

Writers call `service.outbox.repo.enqueue` inside the transaction of the change;
a worker in each instance claims due rows with `FOR UPDATE SKIP LOCKED` and hands
them to the `Channel` named by their destination.
"""
