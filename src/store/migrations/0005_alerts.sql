-- Alerts: each rule's armed state (it survives restarts), every firing recorded once (its id
-- is derived from the rule, series and trigger time, so whoever decides a crossing names it
-- the same), and each firing's deliveries per channel, so one recorded but not yet delivered
-- is delivered after a restart.
CREATE TABLE alert_state (
    name        TEXT PRIMARY KEY,
    armed       INTEGER NOT NULL,
    false_since INTEGER,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE alert_firings (
    id           TEXT PRIMARY KEY,
    alert        TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    condition    TEXT NOT NULL,
    value        TEXT NOT NULL,
    at           TEXT NOT NULL,
    trigger_time INTEGER NOT NULL,
    recorded_at  INTEGER NOT NULL
);
CREATE INDEX alert_firings_by_time ON alert_firings (trigger_time);
CREATE INDEX alert_firings_by_alert ON alert_firings (alert, trigger_time);

CREATE TABLE alert_deliveries (
    firing_id    TEXT NOT NULL REFERENCES alert_firings(id),
    channel      TEXT NOT NULL,
    delivered_at INTEGER,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    PRIMARY KEY (firing_id, channel)
);
CREATE INDEX alert_deliveries_pending ON alert_deliveries (delivered_at);
