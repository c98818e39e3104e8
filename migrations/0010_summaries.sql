-- Summaries (sammanställningar): the county board's own product, drafted together and
-- published as numbered, immutable documents; and where each is to be distributed.

-- One shared draft per incident. `version` is its ETag: every save adds one, and a save
-- must name the version it was made from (If-Match), so no edit is lost silently.
CREATE TABLE summary_drafts (
    incident_id     uuid PRIMARY KEY REFERENCES incidents (id),
    version         integer NOT NULL CHECK (version > 0),
    content         jsonb NOT NULL,
    updated_at      timestamptz NOT NULL,
    updated_by      text NOT NULL,
    updated_by_org  text NOT NULL
);

-- Published summaries: `number` 1, 2, … per incident with no gaps, taken under the
-- incident's row lock in the transaction that writes `summary.published` (`seq`).
CREATE TABLE summaries (
    incident_id     uuid NOT NULL REFERENCES incidents (id),
    number          integer NOT NULL CHECK (number > 0),
    seq             bigint NOT NULL,
    published_at    timestamptz NOT NULL,
    published_by    text NOT NULL,
    published_by_org text NOT NULL,
    picture_seq     bigint NOT NULL CHECK (picture_seq >= 0),
    corrects        integer CHECK (corrects > 0 AND corrects < number),
    content         jsonb NOT NULL,
    PRIMARY KEY (incident_id, number),
    UNIQUE (incident_id, seq)
);
CREATE TRIGGER summaries_immutable BEFORE UPDATE OR DELETE ON summaries
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Who receives a county's published summaries besides the WIS-style node and the national
-- installation (those are settings): e-mail addresses and webhooks.
CREATE TABLE summary_recipients (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    county      text NOT NULL CHECK (county ~ '^[0-9]{2}$'),
    channel     text NOT NULL CHECK (channel IN ('email', 'webhook')),
    email       text,
    webhook_id  bigint REFERENCES webhooks (id),
    created_at  timestamptz NOT NULL,
    CHECK ((channel = 'email') = (email IS NOT NULL)),
    CHECK ((channel = 'webhook') = (webhook_id IS NOT NULL))
);
CREATE UNIQUE INDEX summary_recipients_email ON summary_recipients (county, lower(email))
    WHERE channel = 'email';
CREATE UNIQUE INDEX summary_recipients_webhook ON summary_recipients (county, webhook_id)
    WHERE channel = 'webhook';
