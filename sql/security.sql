-- Security: tokens are checked where they enter (they go into HTTP
-- headers: a CR LF would inject header lines), and no message shows them.
CREATE EXTENSION tiktrack;
\set VERBOSITY default

-- connect_creator() refuses what is not a token, before any request
SELECT tiktrack.connect_creator(E'act.x\r\nX-Injected: 1', 'rft.x');
SELECT tiktrack.connect_creator(E'act.x\n', 'rft.x');
SELECT tiktrack.connect_creator('act x', 'rft.x');
SELECT tiktrack.connect_creator(E'act.\tx', 'rft.x');
SELECT tiktrack.connect_creator(E'act.\u00e9', 'rft.x');
SELECT tiktrack.connect_creator(repeat('a', 1025), 'rft.x');
SELECT tiktrack.connect_creator('', 'rft.x');
SELECT tiktrack.connect_creator(NULL, 'rft.x');
SELECT tiktrack.connect_creator('act.x', E'rft.x\r\nX-Injected: 1', api => 'business');
SELECT tiktrack.connect_creator('act.x', ' rft.x', api => 'business');
-- the refusal is 22023 invalid_parameter_value
DO $$
BEGIN
	PERFORM tiktrack.connect_creator(E'act.x\r\n', 'rft.x');
EXCEPTION WHEN invalid_parameter_value THEN
	RAISE NOTICE 'refused with SQLSTATE %', SQLSTATE;
END $$;

-- a token of 1024 printable characters, and no refresh token (NULL or
-- empty), pass the check: the call goes on to TikTok (here refused: plain
-- http)
SET tiktrack.api_base_url = 'http://127.0.0.1:9';
SELECT tiktrack.connect_creator(repeat('a', 1023) || '~', NULL);
SELECT tiktrack.connect_creator('!act.x~', '');
RESET tiktrack.api_base_url;
SELECT count(*) AS creators, (SELECT count(*) FROM tiktrack.fetch_log) AS requests FROM tiktrack.creators;

-- tiktrack.events: on by default, a superuser's switch, readable by all
SHOW tiktrack.events;
SELECT tiktrack.events_enabled();
CREATE ROLE regress_security_user;
SET ROLE regress_security_user;
SHOW tiktrack.events;
SET tiktrack.events = off;
RESET ROLE;
SET tiktrack.events = off;
SELECT tiktrack.events_enabled();
SELECT tiktrack.notify_snapshots_created('{1,2}', '2026-01-01');
RESET tiktrack.events;
SELECT tiktrack.events_enabled();
DROP ROLE regress_security_user;

DROP EXTENSION tiktrack;
