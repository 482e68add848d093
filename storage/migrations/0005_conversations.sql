-- Conversation state (aiogram FSM): a half-entered order survives a restart.
-- key: aiogram's storage key (bot, chat, user, ...); data: the state's JSON.
CREATE TABLE conversations (
    key         TEXT    PRIMARY KEY,
    state       TEXT,
    data        TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;
