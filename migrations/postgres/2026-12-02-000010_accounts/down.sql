DROP TABLE auth_events;
DROP TABLE sessions;
DROP TABLE user_links;
DROP TABLE users;
