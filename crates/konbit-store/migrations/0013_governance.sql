-- Co-op governance (issue 9): bodies with their decision rules, proposals,
-- comments, ballots, one-time vote links, the public decision log, and the
-- platform settings that adopted decisions may change.

-- A general assembly, a board or a committee. `rules` is the JSON of
-- konbit_core::governance::rules::DecisionRules.
CREATE TABLE gov_bodies (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('general_assembly', 'board', 'committee')),
    rules       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- The people of a board or committee (a general assembly's electorate is
-- the member accounts, or their people, and is not listed here).
CREATE TABLE gov_body_members (
    body_id   INTEGER NOT NULL REFERENCES gov_bodies(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (body_id, user_id)
);

-- `state` is the JSON of konbit_core::governance::proposal::Proposal<Voter>
-- (text, stage, frozen electorate); `stage` repeats its stage for filters.
-- `spec` is how the vote is counted, fixed when it opens (CountSpec).
-- `due_at` is the next moment the housekeeping must look at it.
CREATE TABLE gov_proposals (
    id              INTEGER PRIMARY KEY,
    body_id         INTEGER NOT NULL REFERENCES gov_bodies(id),
    author_user_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    author_label    TEXT NOT NULL,
    stage           TEXT NOT NULL,
    state           TEXT NOT NULL,
    spec            TEXT NOT NULL,
    visibility      TEXT NOT NULL CHECK (visibility IN ('public_to_members', 'secret')),
    action          TEXT,
    undo            TEXT,
    tally           TEXT,
    outcome         TEXT,
    action_error    TEXT,
    rolled_back_at  INTEGER,
    appeal          TEXT,
    reminded_round  INTEGER NOT NULL DEFAULT 0,
    due_at          INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX gov_proposals_body ON gov_proposals(body_id, id);
CREATE INDEX gov_proposals_due ON gov_proposals(due_at) WHERE due_at IS NOT NULL;

CREATE TABLE gov_comments (
    id              INTEGER PRIMARY KEY,
    proposal_id     INTEGER NOT NULL REFERENCES gov_proposals(id) ON DELETE CASCADE,
    author_user_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    author_label    TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX gov_comments_proposal ON gov_comments(proposal_id, id);

-- One row per voter and round. In a public vote `ballot_key` is the voter
-- (`account:3`, `person:5`) and `cast_by_user_id` who cast it. In a secret
-- vote `ballot_key` is an HMAC of the voter under the server's key (so the
-- voter can change their ballot while the vote is open) and nothing else
-- names a person; when the vote closes every key is replaced by random
-- bytes, so not even the server's key links a ballot to a person after
-- that. WITHOUT ROWID orders rows by key, not by the time they came in.
CREATE TABLE gov_ballots (
    proposal_id      INTEGER NOT NULL REFERENCES gov_proposals(id) ON DELETE CASCADE,
    round            INTEGER NOT NULL,
    ballot_key       TEXT NOT NULL,
    text_hash        TEXT NOT NULL,
    content          TEXT NOT NULL,
    cast_by_user_id  INTEGER,
    cast_at          INTEGER,
    PRIMARY KEY (proposal_id, round, ballot_key)
) WITHOUT ROWID;

-- Who took part in a round (for "closes soon" reminders and turnout), in
-- secret votes too; it holds no ballot content.
CREATE TABLE gov_participation (
    proposal_id  INTEGER NOT NULL REFERENCES gov_proposals(id) ON DELETE CASCADE,
    round        INTEGER NOT NULL,
    voter        TEXT NOT NULL,
    PRIMARY KEY (proposal_id, round, voter)
) WITHOUT ROWID;

-- Signed one-time links sent by e-mail: the SHA-256 of the token only.
CREATE TABLE gov_vote_links (
    token_hash   TEXT PRIMARY KEY,
    proposal_id  INTEGER NOT NULL REFERENCES gov_proposals(id) ON DELETE CASCADE,
    round        INTEGER NOT NULL,
    voter        TEXT NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
);
CREATE INDEX gov_vote_links_proposal ON gov_vote_links(proposal_id, round);

-- The public decision log, hash-chained (konbit_core::governance::decision_log)
-- and append-only: the database itself refuses to change or remove an entry.
CREATE TABLE decision_log (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    proposal_id  INTEGER NOT NULL,
    event        TEXT NOT NULL,
    body         TEXT NOT NULL,
    title        TEXT NOT NULL,
    text         TEXT NOT NULL,
    text_hash    TEXT NOT NULL,
    method       TEXT NOT NULL,
    tally        TEXT,
    outcome      TEXT NOT NULL,
    detail       TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX decision_log_proposal ON decision_log(proposal_id, id);

CREATE TRIGGER decision_log_no_update BEFORE UPDATE ON decision_log
BEGIN
    SELECT RAISE(ABORT, 'the decision log is append-only');
END;
CREATE TRIGGER decision_log_no_delete BEFORE DELETE ON decision_log
BEGIN
    SELECT RAISE(ABORT, 'the decision log is append-only');
END;

-- Settings that adopted decisions change (the zone defaults, the digest's
-- last run); JSON values, read over the configuration's defaults.
CREATE TABLE platform_settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
