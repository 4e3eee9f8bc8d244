-- A person's GitHub login (issue 17): the Fix Team's logins are the
-- collaborators of the case's draft GitHub security advisory. Set by an
-- administrator (or the person), never from anything an outsider sends;
-- one account per login, kept in lower case.
ALTER TABLE users ADD COLUMN github_login TEXT;
CREATE UNIQUE INDEX users_github_login ON users (github_login);
