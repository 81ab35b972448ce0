-- Fetching without network: settings and their visibility, privileges on
-- the token tables, argument checks, the plain-http refusal, and the state
-- a refresh leaves when the creator has not authorized.
CREATE EXTENSION tiktrack;
\set VERBOSITY default

-- defaults
SHOW tiktrack.api_base_url;
SHOW tiktrack.business_api_base_url;
SHOW tiktrack.allow_insecure_http;
SHOW tiktrack.http_timeout;
SHOW tiktrack.http_max_response_size;

-- base URLs are checked and kept without a trailing slash
SET tiktrack.api_base_url = 'ftp://open.tiktokapis.com';
SET tiktrack.api_base_url = 'https://user@open.tiktokapis.com';
SET tiktrack.api_base_url = 'https://localhost:8443/';
SHOW tiktrack.api_base_url;
RESET tiktrack.api_base_url;

-- secrets: a non-superuser can neither see them nor read the token tables
-- (they are PGC_SIGHUP: postgresql.conf and a reload, never SET)
SET tiktrack.client_secret = 'hunter2';
CREATE ROLE regress_fetch_user;
GRANT USAGE ON SCHEMA tiktrack TO regress_fetch_user;
SET ROLE regress_fetch_user;
SHOW tiktrack.client_secret;
SHOW tiktrack.client_key;
SELECT current_setting('tiktrack.business_app_secret');
SELECT count(*) FROM pg_settings WHERE name IN ('tiktrack.client_secret', 'tiktrack.client_key');
SELECT * FROM tiktrack.creator_tokens;
SELECT * FROM tiktrack.oauth_states;
SELECT tiktrack.refresh(1);
SELECT tiktrack.connect_creator('act.x', 'rft.x');
SELECT tiktrack.authorize_url('https://app.example.com/cb/');
RESET ROLE;

-- authorize_url checks its arguments (the URL itself is tested against the
-- simulator in test/t/010_fetch.pl)
SELECT tiktrack.authorize_url('https://app.example.com/cb/#frag');
SELECT tiktrack.authorize_url('https://app.example.com/cb/', 'video.list; drop');
SELECT tiktrack.authorize_url('https://app.example.com/cb/');
SELECT tiktrack.complete_authorization('code', 'no-such-state');

-- argument checks
SELECT tiktrack.connect_creator('act.x', 'rft.x', api => 'research');
SELECT tiktrack.connect_creator('', 'rft.x');
SELECT tiktrack.connect_creator('act.x', 'rft.x', expires_in => 0);
SELECT tiktrack.refresh(42);
SELECT tiktrack.refresh_creator('nobody');
SELECT tiktrack.disconnect_creator('nobody');

-- plain http is refused unless a superuser allows it; the refusal happens
-- before any connection is attempted
SET tiktrack.api_base_url = 'http://127.0.0.1:9';
SELECT tiktrack.connect_creator('act.x', 'rft.x');
SET tiktrack.allow_insecure_http = on;
DO $$
BEGIN
	PERFORM tiktrack.connect_creator('act.x', 'rft.x');
EXCEPTION WHEN connection_failure THEN
	RAISE NOTICE 'plain http allowed, then: %', regexp_replace(SQLERRM, ' after [0-9]+ ms.*$', '');
END $$;
RESET tiktrack.allow_insecure_http;
RESET tiktrack.api_base_url;

-- a creator without authorization: the video waits, and says why
SELECT tiktrack.track('https://www.tiktok.com/@nina/video/7300000000000000077');
SELECT * FROM tiktrack.refresh(7300000000000000077);
SELECT state, last_error FROM tiktrack.videos WHERE id = 7300000000000000077;
SELECT * FROM tiktrack.refresh_creator('nina');
SELECT count(*) AS requests_made FROM tiktrack.fetch_log;

REVOKE USAGE ON SCHEMA tiktrack FROM regress_fetch_user;
DROP ROLE regress_fetch_user;
DROP EXTENSION tiktrack;
