-- Issue 16. The in-app inbox: what a firm (later an institution) is told. Stored ones are written where
-- the event happens (a consent registered in the firm's name, an application's move, a receivable to
-- answer); profile queries and consents about to expire are added when the inbox is read (one per access-log
-- row or consent, never twice: the unique key). `notification_marks` keeps how far the access log was read.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    -- the firm's USCC, or the institution's id
    recipient TEXT NOT NULL,
    -- profile_queried, consent_expiring, consent_pending, application_changed, receivable_to_answer
    kind TEXT NOT NULL,
    -- what it is about: an access-log row, a consent, an application, a receivable
    subject TEXT NOT NULL,
    -- the event's own words (a state, an institution), as key=value pairs separated by ';'
    detail TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE UNIQUE INDEX notifications_once ON notifications (recipient, kind, subject, detail);
CREATE INDEX notifications_inbox ON notifications (recipient, id);

CREATE TABLE notification_marks (
    recipient TEXT PRIMARY KEY,
    -- the newest access-log row turned into a notification
    access_seen_id TEXT NOT NULL
);
