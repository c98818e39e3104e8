-- Limits shared by every instance, and what an adapter token may speak for.

-- Failed log-ins, counted per (account, address), per address and per account; a row
-- is forgotten once its last failure is older than the window (pruned as failures come).
CREATE TABLE login_failures (
    scope           text NOT NULL CHECK (scope IN ('pair', 'address', 'account')),
    key             text NOT NULL,
    failures        integer NOT NULL CHECK (failures > 0),
    last_failure_at timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX login_failures_last ON login_failures (last_failure_at);
