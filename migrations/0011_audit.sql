-- Database roles, the append-only audit log, and the token lifecycle.
--
-- Two roles (cluster-wide, so created only when missing; a database administrator may
-- create them beforehand, see deploy/README.md):
--   lagesbild_owner    owns every table; migrations run as it (service/db/migrate.py).
--   lagesbild_service  what the running service connects as: it reads and writes the
--                      tables it needs, and may only INSERT and SELECT the audit log.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lagesbild_owner') THEN
        CREATE ROLE lagesbild_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lagesbild_service') THEN
        CREATE ROLE lagesbild_service LOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- another database on the same server created them at the same moment
END;
$$;

-- Whoever runs the migrations acts as the owner from now on.
DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'lagesbild_owner', 'MEMBER') THEN
        EXECUTE format('GRANT lagesbild_owner TO %I', current_user);
    END IF;
END;
$$;

-- The owner creates in the schema, and takes over what the earlier migrations created.
GRANT USAGE, CREATE ON SCHEMA public TO lagesbild_owner;
DO $$
DECLARE
    object record;
BEGIN
    FOR object IN
        SELECT c.relname, c.relkind FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
          -- sequences of identity columns follow their table
          AND NOT (c.relkind = 'S' AND EXISTS (
              SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
    LOOP
        EXECUTE format(
            'ALTER %s public.%I OWNER TO lagesbild_owner',
            CASE object.relkind
                WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
            object.relname);
    END LOOP;
    FOR object IN
        SELECT p.oid::regprocedure AS routine FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public'
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO lagesbild_owner', object.routine);
    END LOOP;
END;
$$;

-- The service's privileges: on everything there is, and on what later migrations create
-- (they run as the owner).
GRANT USAGE ON SCHEMA public TO lagesbild_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO lagesbild_service;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO lagesbild_service;
ALTER DEFAULT PRIVILEGES FOR ROLE lagesbild_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO lagesbild_service;
ALTER DEFAULT PRIVILEGES FOR ROLE lagesbild_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO lagesbild_service;
-- The migration ledger is the owner's; the service only reads it (readiness).
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM lagesbild_service;
-- Reports and events are immutable (triggers refuse); the service is not even asked.
REVOKE UPDATE, DELETE ON reports, events FROM lagesbild_service;

-- One row per security event (service/audit/). Rows are only ever inserted: the service
-- may not UPDATE or DELETE them, and a trigger refuses it to the owner too.
CREATE TABLE audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL,
    kind            text NOT NULL,
    actor           text NOT NULL,
    organisation    text,
    source          text,
    request_id      text,
    details         jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_kind_at ON audit_log (kind, at);
CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
ALTER TABLE audit_log OWNER TO lagesbild_owner;
GRANT SELECT, INSERT ON audit_log TO lagesbild_service;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM lagesbild_service;

-- Tokens: an expiry, the last use, and whether their expiry has been recorded. Tokens
-- made before expiry existed get a year from the upgrade, not from their creation.
ALTER TABLE api_tokens
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN last_used_at timestamptz,
    ADD COLUMN expiry_recorded boolean NOT NULL DEFAULT false;
UPDATE api_tokens SET expires_at = greatest(created_at, now()) + interval '365 days';
ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL;

-- Sessions: why one ended (logout, expired, removed, role_changed, revoked).
ALTER TABLE sessions ADD COLUMN end_reason text;
